import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, QueueReason } from '../../../../shared/error-codes.js';
import { SessionStatus } from '../../../../shared/option-sets.js';
import { flowsessionEntity } from '../../../../shared/records/index.js';
import { finishSession } from '../../../../orchestrator/queue/session-finish.js';
import { attemptSessionId } from '../../../../orchestrator/queue/session-retry.js';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';

let o: TestOrchestrator;
afterEach(async () => {
  await o?.close();
});

const ENDED_AT = new Date('2030-01-01T00:00:00.000Z');
const exitedWith = (code: number) => ({
  statuscode: SessionStatus.v.Failed,
  completedon: ENDED_AT.toISOString(),
  errorcode: ErrorCode.FlowExitCode,
  errordetails: JSON.stringify({ exitCode: code, signal: null }),
});
const clock = { now: () => ENDED_AT, random: () => 0.5 };

/** A session of group g1 with `policy`, as if assigned to a machine (its record names that machine, the book the original target: none). */
async function assignedSession(policy: object | undefined): Promise<string> {
  const groupId = String((await o.store.groups.byName('g1'))?.flowmachinegroupid ?? (await o.group('g1'))['flowmachinegroupid']);
  const wfId = String((await o.workflow())['workflowid']);
  const id = await o.session(wfId, {
    _machinegroupid_value: groupId,
    inputs: '{"day":"mon"}',
    callbackurl: 'https://hooks.example.com/done',
    ...(policy ? { retrypolicy: JSON.stringify(policy), attempt: 1 } : {}),
  });
  await o.store.transaction(async (tx) => {
    await tx.queueState.setTarget(id, null);
    await tx.sessions.patch(id, { _machineid_value: '11111111-2222-4333-8444-555555555555', statuscode: SessionStatus.v.Running });
  });
  return id;
}

describe('retries in the transaction that ends an attempt (store of the test orchestrator: SQLite, or PostgreSQL)', () => {
  it('creates the next attempt with the derived id: Waiting, RetryScheduled after the backoff, the original target, linked', async () => {
    o = await startTestOrchestrator();
    const first = await assignedSession({ maxAttempts: 3, backoffSeconds: 40, on: ['ExitCode:2'] });
    expect(await o.store.transaction((tx) => finishSession(tx, first, exitedWith(2), undefined, clock))).toBe(true);
    const next = await o.get(attemptSessionId(first, 2));
    expect(next).toMatchObject({
      statuscode: SessionStatus.v.Waiting,
      queuereason: QueueReason.RetryScheduled,
      // 40 s with jitter drawn at 0.5: ¾ of it.
      scheduledfor: new Date(ENDED_AT.getTime() + 30_000).toISOString(),
      attempt: 2,
      firstattemptid: first,
      correlationid: first,
      _machineid_value: null,
      inputs: '{"day":"mon"}',
      callbackurl: 'https://hooks.example.com/done',
    });
    expect(await o.get(first)).toMatchObject({ statuscode: SessionStatus.v.Failed, correlationid: first, attempt: 1 });
  });

  it('makes the next attempt exactly once, also when the same ending is applied again to a store restored from before it', async () => {
    o = await startTestOrchestrator();
    const first = await assignedSession({ maxAttempts: 3, on: ['Failed'] });
    await o.store.transaction((tx) => finishSession(tx, first, exitedWith(1), undefined, clock));
    // As if restored from a copy taken before the end (the next attempt's row already there).
    await o.store.sessions.patch(first, { statuscode: SessionStatus.v.Running, statecode: 0 });
    expect(await o.store.transaction((tx) => finishSession(tx, first, exitedWith(1), undefined, clock))).toBe(true);
    const chain = (await o.store.records.list(flowsessionEntity)).filter((s) => s['correlationid'] === first);
    expect(chain.map((s) => s['attempt']).sort()).toEqual([1, 2]);
  });

  it('makes none for an ending the policy does not name, at the last attempt, or without a policy', async () => {
    o = await startTestOrchestrator();
    const unnamed = await assignedSession({ maxAttempts: 3, on: ['ExitCode:2'] });
    await o.store.transaction((tx) => finishSession(tx, unnamed, exitedWith(3), undefined, clock));
    const last = await assignedSession({ maxAttempts: 1, on: ['Failed'] });
    await o.store.transaction((tx) => finishSession(tx, last, exitedWith(1), undefined, clock));
    const none = await assignedSession(undefined);
    await o.store.transaction((tx) => finishSession(tx, none, exitedWith(1), undefined, clock));
    for (const id of [unnamed, last, none]) expect(await o.store.sessions.get(attemptSessionId(id, 2))).toBeUndefined();
    expect((await o.get(none))['correlationid']).toBeNull();
  });
});
