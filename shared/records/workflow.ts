import { Type, type Static } from '@sinclair/typebox';
import { WorkflowCategory } from '../option-sets.js';
import { commonFields, field, Guid, Int, Text, recordSchema, writeSchema, type EntityDef } from './entity.js';

export const workflowEntity = {
  name: 'workflow',
  set: 'workflows',
  key: 'workflowid',
  primaryName: 'name',
  fields: {
    workflowid: field(Guid(), { edm: 'Edm.Guid' }),
    name: field(Type.String({ minLength: 1, maxLength: 400 }), { edm: 'Edm.String', create: true, required: true, update: true }),
    description: field(Text(2000), { edm: 'Edm.String', create: true, update: true }),
    category: field(Type.Literal(6), { edm: 'Edm.Int32', optionSet: WorkflowCategory, create: true }),
    /** The flow definition (see shared/flow-definition.ts), as a JSON string like Dataverse keeps it. */
    clientdata: field(Text(1_000_000), { edm: 'Edm.String', create: true, required: true, update: true }),
    /** JSON Schema (as a string) that `inputs` must satisfy at enqueue. */
    inputschema: field(Text(100_000), { edm: 'Edm.String', create: true, update: true }),
    /** JSON Schema (as a string) that `outputs` must satisfy at completion. */
    outputschema: field(Text(100_000), { edm: 'Edm.String', create: true, update: true }),
    /** The retry policy of its sessions (shared/retry-policy.ts, as JSON); a RunDesktopFlow call's `retryPolicy` wins. */
    retrypolicy: field(Text(4000), { edm: 'Edm.String', create: true, update: true }),
    statecode: field(Int({ minimum: 0, maximum: 1 }), { edm: 'Edm.Int32', update: true }),
    ...commonFields,
  },
} satisfies EntityDef;

export const Workflow = recordSchema(workflowEntity);
export type Workflow = Static<typeof Workflow>;
export const WorkflowCreate = writeSchema(workflowEntity, 'create');
export const WorkflowUpdate = writeSchema(workflowEntity, 'update');
