import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import winston from 'winston';
import type { AgentState, OrchestratorFrame } from '../../../../shared/protocol.js';
import { SessionStatus } from '../../../../shared/option-sets.js';
import { Queue, type AgentLinks } from '../../../../orchestrator/queue/session-queue.js';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import type { Repositories } from '../../../../orchestrator/store/store.js';
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
    vi.spyOn(store, method).mockImplementation(<T>(fn: (tx: Repositories) => T): T => {
      if (depth++ === 0) commits++;
      try {
        return original(fn);
      } finally {
        depth--;
      }
    });
  }
  return () => commits;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const stores: SqliteStore[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.close()));

let clock = Date.parse('2030-01-01T00:00:00Z');
function world(file: string) {
  const store = new SqliteStore({ file, now: () => new Date(clock) });
  stores.push(store);
  const links = new Links();
  const queue = new Queue({ ctx: { store, now: () => new Date(clock), logger: winston.createLogger({ silent: true }) }, links });
  return { store, links, queue };
}

function seed(store: SqliteStore, machines: number): { groupId: string; wfId: string; machineIds: string[] } {
  const groupId = String(store.groups.insert({ name: 'g', preferredqueuingtype: 1, statecode: 0 })['flowmachinegroupid']);
  const wfId = String(store.workflows.insert({ name: 'wf', category: 6, clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] }) })['workflowid']);
  const machineIds = Array.from({ length: machines }, (_, i) =>
    String(store.machines.insert({ name: `m${i}`, _flowmachinegroupid_value: groupId, sessioncapacity: 1, statecode: 0, statuscode: 2 })['flowmachineid']),
  );
  return { groupId, wfId, machineIds };
}

function enqueue(w: ReturnType<typeof world>, wfId: string, groupId: string, priority = 0): string {
  clock += 1000;
  const id = String(w.store.sessions.insert({ _regardingobjectid_value: wfId, _machinegroupid_value: groupId, runmode: 2, statecode: 0, statuscode: 3, priority })['flowsessionid']);
  w.queue.enqueued(id);
  return id;
}

describe('Queue', () => {
  it('serves all the dispatch requests of one turn of the event loop with one pass', async () => {
    /** Three machines come online; `requests` dispatch requests arrive in one turn. Returns the gateway lookups made. */
    const run = async (requests: number) => {
      const w = world(join(tempDir(), 'o.db'));
      const { groupId, wfId, machineIds } = seed(w.store, 3);
      w.queue.start();
      const ids = Array.from({ length: 5 }, () => enqueue(w, wfId, groupId));
      await turn();
      expect(w.store.sessions.get(ids[0]!)!['queuereason']).toBe('NoMachineConnected');
      w.links.liveCalls = 0;
      for (const id of machineIds) w.links.states.set(id, agentState());
      for (let i = 0; i < requests; i++) w.queue.machineLive(machineIds[i % 3]!);
      await turn();
      expect(w.links.assigned()).toEqual(ids.slice(0, 3));
      expect(w.store.sessions.get(ids[4]!)!['queuereason']).toBe('HigherPriorityFirst');
      return w.links.liveCalls;
    };
    // A pass asks the gateway about machines a fixed number of times: 150 requests cost what one costs.
    expect(await run(150)).toBe(await run(1));
  });

  it('loads the waiting sessions from the store at start, and keeps their order across a restart', async () => {
    const file = join(tempDir(), 'o.db');
    const first = world(file);
    const { groupId, wfId, machineIds } = seed(first.store, 1);
    first.queue.start();
    const [low, high] = [enqueue(first, wfId, groupId, 0), enqueue(first, wfId, groupId, 5)];
    await turn();
    first.store.close();
    stores.length = 0;

    const second = world(file);
    second.queue.start();
    second.links.states.set(machineIds[0]!, agentState());
    second.queue.machineLive(machineIds[0]!);
    await turn();
    expect(second.links.assigned()).toEqual([high]);
    expect(second.store.sessions.get(low)!['queuereason']).toBe('HigherPriorityFirst');
    second.queue.finish(high, { statuscode: SessionStatus.v.Succeeded, completedon: new Date(clock).toISOString() });
    await turn();
    expect(second.links.assigned()).toEqual([high, low]);
  });

  it('writes the Queued record of a session enqueued just before a stop at the next start, once', async () => {
    const file = join(tempDir(), 'o.db');
    const first = world(file);
    const { wfId, machineIds } = seed(first.store, 1);
    first.queue.start();
    await turn();
    clock += 1000;
    const id = String(first.store.sessions.insert({ _regardingobjectid_value: wfId, _machineid_value: machineIds[0], runmode: 2, statecode: 0, statuscode: 3, priority: 0 })['flowsessionid']);
    first.queue.enqueued(id);
    // Stopped before the pass that writes the Queued record.
    first.queue.close();
    first.store.close();
    stores.length = 0;

    const second = world(file);
    second.queue.start();
    await turn();
    const queuedLogs = () => second.store.logs.forSession(id).filter((r) => r.name === 'DesktopFlowRunQueued').length;
    expect(queuedLogs()).toBe(1);
    // Its original target was recorded too: an offer taken back restores it (none would leave the session untargeted).
    second.links.states.set(machineIds[0]!, agentState());
    second.queue.machineLive(machineIds[0]!);
    await turn();
    expect(second.links.assigned()).toEqual([id]);
    second.queue.requeue(id);
    expect(second.store.sessions.get(id)!['_machineid_value']).toBe(machineIds[0]);
    second.queue.close();
    const third = world(file);
    third.queue.start();
    await turn();
    expect(third.store.logs.forSession(id).filter((r) => r.name === 'DesktopFlowRunQueued').length).toBe(1);
  });

  it('confirms the accepts of one turn in one commit, and revokes an offer taken back before that commit', async () => {
    const w = world(join(tempDir(), 'o.db'));
    const { groupId, wfId, machineIds } = seed(w.store, 3);
    w.queue.start();
    for (const id of machineIds) w.links.states.set(id, agentState());
    const ids = [enqueue(w, wfId, groupId), enqueue(w, wfId, groupId), enqueue(w, wfId, groupId)];
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
    expect(w.queue.assignments.confirmedMachineOf(offers[1]!.sessionId)).toBe(offers[1]!.machineId);

    accept(offers[2]!);
    w.links.states.delete(offers[2]!.machineId);
    w.queue.disconnected(offers[2]!.machineId);
    await turn();
    expect(answers.get(offers[2]!.sessionId)).toEqual({ type: 'revoke', sessionId: offers[2]!.sessionId });
    expect(w.queue.assignments.confirmedMachineOf(offers[2]!.sessionId)).toBeUndefined();
    expect(w.queue.assignments.unansweredOffers().map(([id]) => id)).not.toContain(offers[2]!.sessionId);
  });

  it('leaves the reasons of a backlog alone while its machine takes one session after another', async () => {
    const w = world(join(tempDir(), 'o.db'));
    const { groupId, wfId, machineIds } = seed(w.store, 1);
    w.queue.start();
    const ids = Array.from({ length: 8 }, () => enqueue(w, wfId, groupId));
    w.links.states.set(machineIds[0]!, agentState());
    w.queue.machineLive(machineIds[0]!);
    await turn();
    const reasons = () => ids.map((id) => w.store.sessions.get(id)!['queuereason']);
    expect(reasons().slice(1)).toEqual(Array(7).fill('HigherPriorityFirst'));
    const tail = () => ids.slice(4).map((id) => w.store.sessions.get(id)!['versionnumber']);
    const tailVersions = tail();
    for (const id of ids.slice(0, 3)) {
      w.queue.finish(id, { statuscode: 4, completedon: new Date(clock).toISOString() });
      await turn();
    }
    expect(w.links.assigned()).toEqual(ids.slice(0, 4));
    // The sessions behind wrote nothing: before, each pass flipped them between AllMachinesBusy and HigherPriorityFirst.
    expect(tail()).toEqual(tailVersions);
    w.queue.dispatch();
    await turn();
    expect(w.store.sessions.get(ids[4]!)!['queuereason']).toBe('AllMachinesBusy');
    expect(tail().slice(1)).toEqual(tailVersions.slice(1));
  });

  it('costs a pass the same with 10 or 10,000 sessions waiting behind a busy machine', async () => {
    /** Sessions the planner looks at, and session rows written, in the pass after the running session ends. */
    const passAfterEnd = async (backlog: number) => {
      const w = world(join(tempDir(), 'o.db'));
      const { groupId, wfId, machineIds } = seed(w.store, 1);
      w.queue.start();
      w.links.states.set(machineIds[0]!, agentState());
      clock += 1000;
      const ids = w.store.transaction(() =>
        Array.from({ length: backlog }, () => String(w.store.sessions.insert({ _regardingobjectid_value: wfId, _machinegroupid_value: groupId, runmode: 2, statecode: 0, statuscode: 3, priority: 0 })['flowsessionid'])),
      );
      for (const id of ids) w.queue.enqueued(id);
      await turn();
      expect(w.links.assigned()).toEqual([ids[0]]);
      expect(w.store.sessions.get(ids[backlog - 1]!)!['queuereason']).toBe('HigherPriorityFirst');
      const visited = w.queue.visited;
      const patches = vi.spyOn(w.store.sessions, 'patch');
      w.queue.finish(ids[0]!, { statuscode: 4, completedon: new Date(clock).toISOString() });
      await turn();
      expect(w.links.assigned()).toEqual([ids[0], ids[1]]);
      return { visited: w.queue.visited - visited, rows: patches.mock.calls.length };
    };
    const small = await passAfterEnd(10);
    expect(await passAfterEnd(10_000)).toEqual(small);
    // Only the next session is looked at (offered); the rest already says HigherPriorityFirst. Rows: the finish, the offer.
    expect(small).toEqual({ visited: 1, rows: 2 });
  });

  it('writes nothing for an ended session that had no cancel pending', async () => {
    const w = world(join(tempDir(), 'o.db'));
    const { groupId, wfId, machineIds } = seed(w.store, 1);
    w.queue.start();
    w.links.states.set(machineIds[0]!, agentState());
    const id = enqueue(w, wfId, groupId);
    await turn();
    w.queue.acceptOffer(machineIds[0]!, id, () => undefined, (err) => { throw err; });
    await turn();
    const setPendingCancel = vi.spyOn(w.store.queueState, 'setPendingCancel');
    w.queue.ended(id);
    expect(setPendingCancel).not.toHaveBeenCalled();
    w.queue.cancel(id);
    expect(w.queue.assignments.pendingCancel(id)).toBe('cancelled');
    w.queue.ended(id);
    expect(w.queue.assignments.pendingCancel(id)).toBeNull();
  });

  it('re-files a waiting session whose priority was changed', async () => {
    const w = world(join(tempDir(), 'o.db'));
    const { groupId, wfId, machineIds } = seed(w.store, 1);
    w.queue.start();
    const [a, b] = [enqueue(w, wfId, groupId), enqueue(w, wfId, groupId)];
    await turn();
    w.store.sessions.update(b!, { priority: 9 });
    w.queue.sessionChanged(b!);
    w.links.states.set(machineIds[0]!, agentState());
    w.queue.machineLive(machineIds[0]!);
    await turn();
    expect(w.links.assigned()).toEqual([b]);
    expect(w.store.sessions.get(a!)!['queuereason']).toBe('HigherPriorityFirst');
  });
});
