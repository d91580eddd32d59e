import { v5 as uuidv5 } from 'uuid';
import { QueueReason } from '../../shared/error-codes.js';
import { SessionState, SessionStatus } from '../../shared/option-sets.js';
import { flowsessionEntity, type FlowSession } from '../../shared/records/index.js';
import { mayRetry, parseRetryPolicy, retryDelaySeconds, retryReason, type AttemptEnding, type RetryPolicy } from '../../shared/retry-policy.js';
import type { Repositories, SessionRecord, Values } from '../store/store.js';
import { appendFlowLog } from './flowlog-writer.js';

/** flowhost's UUID v5 namespace for the ids of later attempts. Never change it: stored ids depend on it. */
export const RETRY_ATTEMPT_NAMESPACE = 'b0f3c7c2-6f0e-4c55-9a51-2f4c1d7e8a93';

/** The clock and the jitter's randomness of a retry's eligible time. */
export interface RetryClock {
  readonly now: () => Date;
  /** In [0, 1); Math.random by default. */
  readonly random?: () => number;
}

/**
 * The id of attempt `attempt` of the chain started by session `firstId`: a UUID v5 of both, so the transaction that
 * ends an attempt names the same next session however often it runs, and a second insert is a key conflict.
 */
export function attemptSessionId(firstId: string, attempt: number): string {
  return uuidv5(`${firstId.toLowerCase()}#${attempt}`, RETRY_ATTEMPT_NAMESPACE);
}

/** The session's retry policy, or undefined when it has none (or one that no longer parses: no retry then). */
export function sessionRetryPolicy(s: Pick<FlowSession, 'retrypolicy'>): RetryPolicy | undefined {
  if (!s.retrypolicy) return undefined;
  try {
    return parseRetryPolicy(s.retrypolicy);
  } catch {
    return undefined;
  }
}

const attemptOf = (s: Pick<FlowSession, 'attempt'>): number => s.attempt ?? 1;
const firstOf = (s: SessionRecord): string => s.firstattemptid ?? s.flowsessionid;

/** Whether the session's own completion callback waits: a later attempt may still come, and only the last one calls back. */
export function callbackWithheld(s: Pick<FlowSession, 'retrypolicy' | 'attempt'>): boolean {
  return mayRetry(sessionRetryPolicy(s), attemptOf(s));
}

/** The ids of the attempts after `s` its chain may have (some may not exist). */
export function laterAttemptIds(s: SessionRecord): string[] {
  const policy = sessionRetryPolicy(s);
  if (!policy) return [];
  const ids: string[] = [];
  for (let n = attemptOf(s) + 1; n <= policy.maxAttempts; n++) ids.push(attemptSessionId(firstOf(s), n));
  return ids;
}

/** The next attempt of `s` when it was created. */
export async function nextAttempt(repos: Repositories, s: SessionRecord): Promise<SessionRecord | undefined> {
  const [next] = laterAttemptIds(s);
  return next === undefined ? undefined : repos.sessions.get(next);
}

/**
 * In the transaction that ends `current` with `ending`: when its policy names the ending and attempts remain, the next
 * attempt — a Waiting copy of the request (its original target, inputs, callback, correlation), `attempt` + 1, the
 * first attempt's id, held until its backoff passed (`scheduledfor`, queue reason RetryScheduled). Returns the fields
 * the ending attempt gets as well (its correlationid, when it had none, becomes the chain's: the first session's id),
 * or undefined when no attempt follows.
 */
export async function scheduleRetry(tx: Repositories, current: SessionRecord, ending: AttemptEnding, clock: RetryClock): Promise<Values<FlowSession> | undefined> {
  const policy = sessionRetryPolicy(current);
  const attempt = attemptOf(current);
  if (!policy) return undefined;
  const reason = retryReason(policy, attempt, ending);
  // A cancel asked of its machine stops the chain even when the run ended otherwise meanwhile.
  if (reason === undefined || (await tx.queueState.pendingCancel(current.flowsessionid)) === 'cancelled') return undefined;
  const first = firstOf(current);
  const target = await tx.queueState.target(current.flowsessionid);
  const due = new Date(clock.now().getTime() + Math.round(retryDelaySeconds(policy, attempt + 1, clock.random ?? Math.random) * 1000));
  const correlationid = current.correlationid ?? first;
  const id = attemptSessionId(first, attempt + 1);
  const chained = current.correlationid === null ? { correlationid } : {};
  // Made already (this ending applied once more, on a store restored from before it): exactly one next attempt.
  if (await tx.sessions.get(id)) return chained;
  await tx.records.insert(flowsessionEntity, {
    flowsessionid: id,
    name: current.name,
    _regardingobjectid_value: current._regardingobjectid_value,
    _machinegroupid_value: current._machinegroupid_value,
    // Where it was assigned is not where it was asked to run: the original target (none for a group).
    _machineid_value: target === undefined ? current._machineid_value : target,
    runmode: current.runmode,
    runsessionmode: current.runsessionmode,
    triggertype: current.triggertype,
    priority: current.priority,
    timeout: current.timeout,
    queuetimeout: current.queuetimeout,
    inputs: current.inputs,
    secretinputs: current.secretinputs,
    context: current.context,
    callbackurl: current.callbackurl,
    sessionusername: current.sessionusername,
    connectionid: current.connectionid,
    gateway: current.gateway,
    parentworkflowid: current.parentworkflowid,
    parentcloudflowrunsequenceid: current.parentcloudflowrunsequenceid,
    schedule_id: current.schedule_id,
    correlationid,
    retrypolicy: current.retrypolicy,
    attempt: attempt + 1,
    firstattemptid: first,
    scheduledfor: due.toISOString(),
    queuereason: QueueReason.RetryScheduled,
    statecode: SessionState.v.Active,
    statuscode: SessionStatus.v.Waiting,
  } satisfies Values<FlowSession> & { flowsessionid: string });
  await appendFlowLog(tx, current.flowsessionid, {
    type: 'CustomLog',
    level: 'Warning',
    name: QueueReason.RetryScheduled,
    data: { stream: 'orchestrator', message: `attempt ${attempt} of ${policy.maxAttempts} ended (${reason}); attempt ${attempt + 1} is session ${id}, eligible at ${due.toISOString()}` },
  });
  return chained;
}
