import { backgroundoperationEntity } from './backgroundoperation.js';
import { flowlogEntity } from './flowlog.js';
import { flowmachineEntity } from './flowmachine.js';
import { flowmachinegroupEntity } from './flowmachinegroup.js';
import { flowsessionEntity } from './flowsession.js';
import { scheduleEntity } from './schedule.js';
import { workflowEntity } from './workflow.js';
import type { EntityDef } from './entity.js';

export * from './entity.js';
export * from './flowsession.js';
export * from './flowmachine.js';
export * from './flowmachinegroup.js';
export * from './workflow.js';
export * from './flowlog.js';
export * from './backgroundoperation.js';
export * from './schedule.js';

/** Every entity set of the Web API, by set name. */
export const entities: Readonly<Record<string, EntityDef>> = {
  flowsessions: flowsessionEntity,
  flowmachines: flowmachineEntity,
  flowmachinegroups: flowmachinegroupEntity,
  workflows: workflowEntity,
  flowlogs: flowlogEntity,
  backgroundoperations: backgroundoperationEntity,
  schedules: scheduleEntity,
};
