import type { LaunchPlan } from '../flow-launch.js';

/** The plan without Node's uid/gid: the command it names now starts with the agent's rights and drops by itself. */
export function withoutIds(plan: LaunchPlan): LaunchPlan {
  const copy: { -readonly [K in keyof LaunchPlan]: LaunchPlan[K] } = { ...plan };
  delete copy.uid;
  delete copy.gid;
  return copy;
}
