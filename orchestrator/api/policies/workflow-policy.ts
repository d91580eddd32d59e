import { WorkflowCategory, WorkflowState } from '../../../shared/option-sets.js';
import { FlowDefinition } from '../../../shared/flow-definition.js';
import { WorkflowCreate, WorkflowUpdate, workflowEntity } from '../../../shared/records/index.js';
import { userSchemaValidator, validator, ValidationError } from '../../../shared/validate.js';
import { badRequest, conflict, jsonSyntaxMessage } from '../api-error.js';
import type { WorkflowRecord } from '../../store/store.js';
import type { EntityPolicy, Row } from './entity-policy.js';

const flowDefinition = validator(FlowDefinition);

function parseJsonField(values: Row, name: string, what: string): unknown {
  try {
    return JSON.parse(String(values[name])) as unknown;
  } catch (err) {
    throw badRequest(`${what}: ${name} is not valid JSON: ${jsonSyntaxMessage(err)}`, 'InvalidRequest');
  }
}

/** clientdata must be a FlowDefinition; inputschema/outputschema must compile as JSON Schemas. */
function checkWorkflowFields(values: Row, what: string): Row {
  if (typeof values['clientdata'] === 'string') {
    const definition = parseJsonField(values, 'clientdata', what);
    if (!flowDefinition.check(definition)) throw badRequest(`${what}: clientdata is not a valid flow definition: ${flowDefinition.errors('clientdata').join('; ')}`);
  }
  for (const name of ['inputschema', 'outputschema']) {
    if (typeof values[name] !== 'string') continue;
    try {
      userSchemaValidator(parseJsonField(values, name, what));
    } catch (err) {
      if (err instanceof ValidationError) throw badRequest(`${what}: ${name}: ${err.message}`);
      throw err;
    }
  }
  return values;
}

export const workflowPolicy: EntityPolicy<WorkflowRecord> = {
  entity: workflowEntity,
  createSchema: WorkflowCreate,
  updateSchema: WorkflowUpdate,
  deletable: true,
  prepareCreate: (_deps, values, what) => ({ category: WorkflowCategory.v.DesktopFlow, statecode: WorkflowState.v.Active, ...checkWorkflowFields(values, what) }),
  prepareUpdate: (_deps, _current, patch, what) => checkWorkflowFields(patch, what),
  async checkDelete(deps, current) {
    const id = current.workflowid;
    const open = await deps.store.sessions.countOpenForWorkflow(id);
    if (open > 0) throw conflict(`workflow ${id} has ${open} unfinished session(s)`, 'WorkflowInUse');
  },
};
