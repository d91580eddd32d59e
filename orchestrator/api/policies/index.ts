import { backgroundoperationEntity, flowlogEntity, type EntityDef } from '../../../shared/records/index.js';
import type { EntityPolicy } from './entity-policy.js';
import { groupPolicy } from './group-policy.js';
import { machinePolicy } from './machine-policy.js';
import { sessionPolicy } from './session-policy.js';
import { schedulePolicy } from './schedule-policy.js';
import { workflowPolicy } from './workflow-policy.js';

export type { EntityPolicy, Row, ScheduleWaker, WriteDeps } from './entity-policy.js';
export { allowedMethods } from './entity-policy.js';

const readOnly = (entity: EntityDef): EntityPolicy => ({ entity, deletable: false });

const POLICIES: readonly EntityPolicy[] = [sessionPolicy, machinePolicy, groupPolicy, workflowPolicy, schedulePolicy as unknown as EntityPolicy, readOnly(flowlogEntity), readOnly(backgroundoperationEntity)];

/** The write rules of an entity set (every set of shared/records has one). */
export function policyOf(entity: EntityDef): EntityPolicy {
  const policy = POLICIES.find((p) => p.entity.set === entity.set);
  if (!policy) throw new Error(`no write policy for ${entity.set}`);
  return policy;
}
