import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import winston from 'winston';
import type { AgentState, OrchestratorFrame } from '../../../../shared/protocol.js';
import { SessionStatus } from '../../../../shared/option-sets.js';
import { Queue, type AgentLinks } from '../../../../orchestrator/queue/session-queue.js';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import type { Assignment, Repositories } from '../../../../orchestrator/store/store.js';
import { agentState } from '../../../support/fake-agent.js';
import { tempDir } from '../../../support/temp-dir.js';

/** The gateway side of the queue: which machines are live, and the frames sent to them (counted). */
class Links implements AgentLinks {
  readonly states = new Map<string, AgentState>();
  readonly sent: { machineId: string; frame: OrchestratorFrame }[] = [];
  liveCalls = 0;
  live(machineId: string): AgentState | undefined {
    this.liveCalls++;
    return this.states.get(machineId);
  }
  send(machineId: string, frame: OrchestratorFrame): boolean {
    if (!this.states.has(machineId)) return false;
    this.sent.push({ machineId, frame });
    return true;
  }
  assigned(): string[] {
    return this.sent.flatMap(({ frame }) => (frame.type === 'assign' ? [frame.session.flowsessionid] : []));
  }
}

/** Counts the outermost store transactions (the commits, durable or crash-safe) from now on. */
function countCommits(store: SqliteStore): () => number {
  let depth = 0;
  let commits = 0;
  for (const method of ['transaction', 'crashSafeTransaction'] as const) {
    const original = store[method].bind(store);
    vi.spyOn(store, method).mockImplementation(async <T>(fn: (tx: Repositories) => Promise<T>): Promise<T> => {
      if (depth++ === 0) commits++;
      try {
        return await original(fn);
      } finally {
        depth--;
      }
    });
  }
  return () => commits;
}

/** Counts the session rows patched from now on, through the store and through its transactions' repositories. */
function countSessionPatches(store: SqliteStore): () => number {
  let patches = 0;
  const sessions = store.sessions;
  const direct = sessions.patch.bind(sessions);
  vi.spyOn(sessions, 'patch').mockImplementation((id, changes) => {
    patches++;
    return direct(id, changes);
  });
  for (const method of ['transaction', 'crashSafeTransaction'] as const) {
    const original = store[method].bind(store);
    vi.spyOn(store, method).mockImplementation(<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> =>
      original((tx) =>
        fn({
          ...tx,
          sessions: {
            ...tx.sessions,
            patch: (id, changes) => {
              patches++;
              return tx.sessions.patch(id, changes);
            },
          },
        }),
      ),
    );
  }
  return () => patches;
}

const turn = async () => new Promise<void>((resolve) => setImmediate(resolve));
const stores: SqliteStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

let clock = Date.parse('2030-01-01T00:00:00Z');
function world(file: string) {
  const store = new SqliteStore({ file, now: () => new Date(clock) });
  stores.push(store);
  const links = new Links();
  const queue = new Queue({ ctx: { store, now: () => new Date(clock), logger: winston.createLogger({ silent: true }) }, links });
  return { store, links, queue };
}

async function seed(store: SqliteStore, machines: number): Promise<{ groupId: string; wfId: string; machineIds: string[] }> {
  const groupId = String((await store.groups.insert({ name: 'g', preferredqueuingtype: 1, statecode: 0 }))['flowmachinegroupid']);
  const wfId = String((await store.workflows.insert({ name: 'wf', category: 6, clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] }) }))['workflowid']);
  const machineIds: string[] = [];
  for (let i = 0; i < machines; i++) {
    machineIds.push((await store.machines.insert({ name: `m${i}`, _flowmachinegroupid_value: groupId, sessioncapacity: 1, statecode: 0, statuscode: 2 })).flowmachineid);
  }
  return { groupId, wfId, machineIds };
}

async function enqueue(w: ReturnType<typeof world>, wfId: string, groupId: string, priority = 0): Promise<string> {
  clock += 1000;
  const id = String((await w.store.sessions.insert({ _regardingobjectid_value: wfId, _machinegroupid_value: groupId, runmode: 2, statecode: 0, statuscode: 3, priority }))['flowsessionid']);
  await w.queue.enqueued(id);
  return id;
}

/** `count` sessions enqueued one after another. */
async function enqueueMany(w: ReturnType<typeof world>, count: number, wfId: string, groupId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await enqueue(w, wfId, groupId));
  return ids;
}

describe('Queue', () => {
  it('serves all the dispatch requests of one turn of the event loop with one pass', async () => {
    /** Three machines come online; `requests` dispatch requests arrive in one turn. Returns the gateway lookups made. */
    const run = async (requests: number) => {
      const w = world(join(tempDir(), 'o.db'));
      const { groupId, wfId, machineIds } = await seed(w.store, 3);
      await w.queue.start();
      const ids = await enqueueMany(w, 5, wfId, groupId);
      await turn();
      expect((await w.store.sessions.get(ids[0]!))!['queuereason']).toBe('NoMachineConnected');
      w.links.liveCalls = 0;
      for (const id of machineIds) w.links.states.set(id, agentState());
      for (let i = 0; i < requests; i++) w.queue.machineLive(machineIds[i % 3]!);
      await turn();
      expect(w.links.assigned()).toEqual(ids.slice(0, 3));
      expect((await w.store.sessions.get(ids[4]!))!['queuereason']).toBe('HigherPriorityFirst');
      return w.links.liveCalls;
    };
    // A pass asks the gateway about machines a fixed number of times: 150 requests cost what one costs.
    expect(await run(150)).toBe(await run(1));
  });

  it('loads the waiting sessions from the store at start, and keeps their order across a restart', async () => {
    const file = join(tempDir(), 'o.db');
    const first = world(file);
    const { groupId, wfId, machineIds } = await seed(first.store, 1);
    await first.queue.start();
    const [low, high] = [await enqueue(first, wfId, groupId, 0), await enqueue(first, wfId, groupId, 5)];
    await turn();
    await first.store.close();
    stores.length = 0;

    const second = world(file);
    await second.queue.start();
    second.links.states.set(machineIds[0]!, agentState());
    second.queue.machineLive(machineIds[0]!);
    await turn();
    expect(second.links.assigned()).toEqual([high]);
    expect((await second.store.sessions.get(low))!['queuereason']).toBe('HigherPriorityFirst');
    await second.queue.finish(high, { statuscode: SessionStatus.v.Succeeded, completedon: new Date(clock).toISOString() });
    await turn();
    expect(second.links.assigned()).toEqual([high, low]);
  });

  it('writes the Queued record of a session enqueued just before a stop at the next start, once', async () => {
    const file = join(tempDir(), 'o.db');
    const first = world(file);
    const { wfId, machineIds } = await seed(first.store, 1);
    await first.queue.start();
    await turn();
    clock += 1000;
    const id = String((await first.store.sessions.insert({ _regardingobjectid_value: wfId, _machineid_value: machineIds[0], runmode: 2, statecode: 0, statuscode: 3, priority: 0 }))['flowsessionid']);
    await first.queue.enqueued(id);
    // Stopped before the pass that writes the Queued record.
    await first.queue.close();
    await first.store.close();
    stores.length = 0;

    const second = world(file);
    await second.queue.start();
    await turn();
    const queuedLogs = async () => (await second.store.logs.forSession(id)).filter((r) => r.name === 'DesktopFlowRunQueued').length;
    expect(await queuedLogs()).toBe(1);
    // Its original target was recorded too: an offer taken back restores it (none would leave the session untargeted).
    second.links.states.set(machineIds[0]!, agentState());
    second.queue.machineLive(machineIds[0]!);
    await turn();
    expect(second.links.assigned()).toEqual([id]);
    await second.queue.requeue(id);
    expect((await second.store.sessions.get(id))!['_machineid_value']).toBe(machineIds[0]);
    await second.queue.close();
    const third = world(file);
    await third.queue.start();
    await turn();
    expect((await third.store.logs.forSession(id)).filter((r) => r.name === 'DesktopFlowRunQueued').length).toBe(1);
  });

  it('confirms the accepts of one turn in one commit, and revokes an offer taken back before that commit', async () => {
    const w = world(join(tempDir(), 'o.db'));
    const { groupId, wfId, machineIds } = await seed(w.store, 3);
    await w.queue.start();
    for (const id of machineIds) w.links.states.set(id, agentState());
    const ids = await enqueueMany(w, 3, wfId, groupId);
    await turn();
    const offers = w.links.sent.flatMap(({ machineId, frame }) => (frame.type === 'assign' ? [{ machineId, sessionId: frame.session.flowsessionid }] : []));
    expect(offers.map((o) => o.sessionId).sort()).toEqual([...ids].sort());

    const answers = new Map<string, OrchestratorFrame>();
    const accept = (o: { machineId: string; sessionId: string }) => w.queue.acceptOffer(o.machineId, o.sessionId, (a) => answers.set(o.sessionId, a), (err) => { throw err; });
    const commits = countCommits(w.store);
    accept(offers[0]!);
    accept(offers[1]!);
    await turn();
    expect(commits()).toBe(1);
    expect([answers.get(offers[0]!.sessionId)?.type, answers.get(offers[1]!.sessionId)?.type]).toEqual(['confirm', 'confirm']);
    expect(await w.queue.assignments.confirmedMachineOf(offers[1]!.sessionId)).toBe(offers[1]!.machineId);

    accept(offers[2]!);
    w.links.states.delete(offers[2]!.machineId);
    await w.queue.disconnected(offers[2]!.machineId);
    await turn();
    expect(answers.get(offers[2]!.sessionId)).toEqual({ type: 'revoke', sessionId: offers[2]!.sessionId });
    expect(await w.queue.assignments.confirmedMachineOf(offers[2]!.sessionId)).toBeUndefined();
    expect(w.queue.assignments.unansweredOffers().map(([id]) => id)).not.toContain(offers[2]!.sessionId);
  });

  it('leaves the reasons of a backlog alone while its machine takes one session after another', async () => {
    const w = world(join(tempDir(), 'o.db'));
    const { groupId, wfId, machineIds } = await seed(w.store, 1);
    await w.queue.start();
    const ids = await enqueueMany(w, 8, wfId, groupId);
    w.links.states.set(machineIds[0]!, agentState());
    w.queue.machineLive(machineIds[0]!);
    await turn();
    const reasons = () => Promise.all(ids.map(async (id) => (await w.store.sessions.get(id))!['queuereason']));
    expect((await reasons()).slice(1)).toEqual(Array(7).fill('HigherPriorityFirst'));
    const tail = () => Promise.all(ids.slice(4).map(async (id) => (await w.store.sessions.get(id))!['versionnumber']));
    const tailVersions = await tail();
    for (const id of ids.slice(0, 3)) {
      await w.queue.finish(id, { statuscode: 4, completedon: new Date(clock).toISOString() });
      await turn();
    }
    expect(w.links.assigned()).toEqual(ids.slice(0, 4));
    // The sessions behind wrote nothing: before, each pass flipped them between AllMachinesBusy and HigherPriorityFirst.
    expect(await tail()).toEqual(tailVersions);
    w.queue.dispatch();
    await turn();
    expect((await w.store.sessions.get(ids[4]!))!['queuereason']).toBe('AllMachinesBusy');
    expect((await tail()).slice(1)).toEqual(tailVersions.slice(1));
  });

  it('costs a pass the same with 10 or 10,000 sessions waiting behind a busy machine', async () => {
    /** Sessions the planner looks at, and session rows written, in the pass after the running session ends. */
    const passAfterEnd = async (backlog: number) => {
      const w = world(join(tempDir(), 'o.db'));
      const { groupId, wfId, machineIds } = await seed(w.store, 1);
      await w.queue.start();
      w.links.states.set(machineIds[0]!, agentState());
      clock += 1000;
      const ids = await w.store.transaction(async (tx) => {
        const out: string[] = [];
        for (let i = 0; i < backlog; i++) {
          out.push((await tx.sessions.insert({ _regardingobjectid_value: wfId, _machinegroupid_value: groupId, runmode: 2, statecode: 0, statuscode: 3, priority: 0 })).flowsessionid);
        }
        return out;
      });
      for (const id of ids) await w.queue.enqueued(id);
      await turn();
      expect(w.links.assigned()).toEqual([ids[0]]);
      expect((await w.store.sessions.get(ids[backlog - 1]!))!['queuereason']).toBe('HigherPriorityFirst');
      const visited = w.queue.visited;
      const patches = countSessionPatches(w.store);
      await w.queue.finish(ids[0]!, { statuscode: 4, completedon: new Date(clock).toISOString() });
      await turn();
      expect(w.links.assigned()).toEqual([ids[0], ids[1]]);
      return { visited: w.queue.visited - visited, rows: patches() };
    };
    const small = await passAfterEnd(10);
    expect(await passAfterEnd(10_000)).toEqual(small);
    // Only the next session is looked at (offered); the rest already says HigherPriorityFirst. Rows: the finish, the offer.
    expect(small).toEqual({ visited: 1, rows: 2 });
  });

  it('writes nothing for an ended session that had no cancel pending', async () => {
    const w = world(join(tempDir(), 'o.db'));
    const { groupId, wfId, machineIds } = await seed(w.store, 1);
    await w.queue.start();
    w.links.states.set(machineIds[0]!, agentState());
    const id = await enqueue(w, wfId, groupId);
    await turn();
    w.queue.acceptOffer(machineIds[0]!, id, () => undefined, (err) => { throw err; });
    await turn();
    const setPendingCancel = vi.spyOn(w.store.queueState, 'setPendingCancel');
    await w.queue.ended(id);
    expect(setPendingCancel).not.toHaveBeenCalled();
    await w.queue.cancel(id);
    expect(await w.queue.assignments.pendingCancel(id)).toBe('cancelled');
    await w.queue.ended(id);
    expect(await w.queue.assignments.pendingCancel(id)).toBeNull();
  });

  it('does not take back an offer that was accepted after the timer saw it unanswered', async () => {
    const w = world(join(tempDir(), 'o.db'));
    const { groupId, wfId, machineIds } = await seed(w.store, 1);
    await w.queue.start();
    w.links.states.set(machineIds[0]!, agentState());
    const id = await enqueue(w, wfId, groupId);
    await turn();
    // What the offer timer read, then (while it awaited) the accept came and was committed.
    const [[seen, offer]] = w.queue.assignments.unansweredOffers() as [[string, Assignment]];
    expect(seen).toBe(id);
    const answers: OrchestratorFrame[] = [];
    w.queue.acceptOffer(machineIds[0]!, id, (a) => answers.push(a), (err) => { throw err; });
    await turn();
    expect(answers).toEqual([{ type: 'confirm', sessionId: id }]);
    await w.queue.revokeUnanswered(id, offer, { machineId: offer.machineId, errorcode: 'NoAnswer', message: 'no answer' });
    expect(await w.queue.assignments.confirmedMachineOf(id)).toBe(machineIds[0]);
    expect((await w.store.sessions.get(id))!['_machineid_value']).toBe(machineIds[0]);
    expect(w.links.sent.map(({ frame }) => frame.type)).toEqual(['assign']);
  });

  it('re-files a waiting session whose priority was changed', async () => {
    const w = world(join(tempDir(), 'o.db'));
    const { groupId, wfId, machineIds } = await seed(w.store, 1);
    await w.queue.start();
    const [a, b] = await enqueueMany(w, 2, wfId, groupId);
    await turn();
    await w.store.sessions.update(b!, { priority: 9 });
    await w.queue.sessionChanged(b!);
    w.links.states.set(machineIds[0]!, agentState());
    w.queue.machineLive(machineIds[0]!);
    await turn();
    expect(w.links.assigned()).toEqual([b]);
    expect((await w.store.sessions.get(a!))!['queuereason']).toBe('HigherPriorityFirst');
  });
});
