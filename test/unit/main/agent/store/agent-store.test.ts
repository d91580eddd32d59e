import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, SessionEvent, type LogLine } from '../../../../../shared/protocol.js';
import { validator } from '../../../../../shared/validate.js';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { SCHEMA_VERSION } from '../../../../../main/agent/store/migrations.js';
import { makeAssign } from '../../../../support/agent-assign.js';

const checkEvent = validator(SessionEvent);
let dir: string;
let store: AgentStore;
let clock: Date;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-store-'));
  clock = new Date('2030-01-01T00:00:00Z');
  store = AgentStore.open(join(dir, 'agent.db'), { now: () => clock });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const line = (seq: number, message = `line ${seq}`): LogLine => ({ seq, level: 100000001, stream: 'stdout', at: clock.toISOString(), message });

function running(overrides: Parameters<typeof makeAssign>[0] = {}): string {
  const a = makeAssign(overrides);
  store.recordAssignment(a);
  store.markConfirmed(a.session.flowsessionid);
  store.markRunning(a.session.flowsessionid, { startedon: clock.toISOString(), runas: 'someone' });
  return a.session.flowsessionid;
}

describe('AgentStore', () => {
  it('uses WAL, synchronous=FULL and the current schema version', () => {
    store.close();
    const db = new Database(join(dir, 'agent.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
    store = AgentStore.open(join(dir, 'agent.db'));
  });

  it('refuses a file from a newer agent with a clear error', () => {
    store.close();
    const db = new Database(join(dir, 'agent.db'));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => AgentStore.open(join(dir, 'agent.db'))).toThrow(/newer than this agent understands/);
    store = AgentStore.open(join(dir, 'other.db'));
  });

  it('tracks the stages of an assignment', () => {
    const a = makeAssign();
    const id = a.session.flowsessionid;
    store.recordAssignment(a);
    store.recordAssignment(a); // a repeated assign is a no-op
    expect(store.stageOf(id)).toBe('accepted');
    expect(store.activeCount()).toBe(1);
    store.markConfirmed(id);
    expect(store.stageOf(id)).toBe('confirmed');
    store.forgetAssignment(id); // confirmed sessions are never forgotten
    expect(store.getSession(id)?.stage).toBe('confirmed');
    const b = makeAssign();
    store.recordAssignment(b);
    store.forgetAssignment(b.session.flowsessionid);
    expect(store.getSession(b.session.flowsessionid)).toBeUndefined();
    expect(store.activeSessions().map((s) => s.sessionId)).toEqual([id]);
    expect(() => store.markRunning(b.session.flowsessionid, { startedon: clock.toISOString() })).toThrow(/not confirmed/);
  });

  it('commits each state change with its event; seq strictly increases and survives acks and reopen', () => {
    const heard: number[] = [];
    store.onEvent(() => heard.push(store.lastSeq()));
    const id = running();
    store.appendLogLines(id, [line(0), line(1)]);
    expect(store.setPaused(id, true)).toBe(true);
    expect(store.setPaused(id, true)).toBe(false);
    store.setPaused(id, false);
    const events = store.eventsAfter(0, 100);
    expect(events.map((e) => e.kind)).toEqual(['started', 'log', 'status', 'status']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(heard).toEqual([1, 2, 3, 4]);
    for (const e of events) expect(checkEvent.check(e), checkEvent.errors().join()).toBe(true);

    store.ackUpTo(3);
    expect(store.lastAckedSeq()).toBe(3);
    expect(store.pendingEventCount()).toBe(1);
    expect(store.eventsAfter(0, 100).map((e) => e.seq)).toEqual([4]);
    store.ackUpTo(4);
    store.ackUpTo(2); // never goes back
    expect(store.lastAckedSeq()).toBe(4);
    store.close();
    store = AgentStore.open(join(dir, 'agent.db'), { now: () => clock });
    store.appendLogLines(id, [line(2)]);
    expect(store.eventsAfter(4, 10).map((e) => e.seq)).toEqual([5]); // never reused after acks deleted rows
    expect(store.lastSeq()).toBe(5);
  });

  it('batches many log lines into few events within the protocol limits', () => {
    const id = running();
    const lines = Array.from({ length: 12_000 }, (_, i) => line(i));
    const big = Array.from({ length: 30 }, (_, i) => line(12_000 + i, 'x'.repeat(100_000)));
    store.appendLogLines(id, [...lines, ...big]);
    const logs = store.eventsAfter(0, 1000).filter((e) => e.kind === 'log');
    expect(logs.length).toBeGreaterThanOrEqual(3);
    expect(logs.length).toBeLessThan(12);
    let count = 0;
    for (const e of logs) {
      if (e.kind !== 'log') continue;
      count += e.lines.length;
      expect(e.lines.length).toBeLessThanOrEqual(5000);
      expect(Buffer.byteLength(JSON.stringify({ type: 'event', event: e }))).toBeLessThan(MAX_FRAME_BYTES);
      expect(checkEvent.check(e)).toBe(true);
    }
    expect(count).toBe(12_030);
    expect(store.logTail(id, 2).map((l) => l.seq)).toEqual([12_028, 12_029]);
  });

  it('tells onCallbackQueued listeners of completions that queued a callback, and only of those', () => {
    let heard = 0;
    store.onCallbackQueued(() => heard++);
    store.complete(running(), { statuscode: 4, completedon: clock.toISOString() });
    expect(heard).toBe(0);
    const id = running({ session: { callbackurl: 'https://example.test/cb' } });
    store.complete(id, { statuscode: 4, completedon: clock.toISOString() });
    expect(heard).toBe(1);
    expect(store.pendingCallbackCount()).toBe(1);
    store.complete(id, { statuscode: 4, completedon: clock.toISOString() }); // idempotent: nothing new queued
    expect(heard).toBe(1);
  });

  it('completes in one transaction: outputs, figures from samples, completed event, callback row', () => {
    const workflowid = '5d1c2a8e-1f0b-4c1e-9a43-2f0d6c7b8a91';
    const id = running({ session: { callbackurl: 'https://example.test/cb', workflowid } });
    store.appendSamples(id, [
      { at: clock.toISOString(), machineCpuPercent: 10, machineRamUsedMb: 1000, machineRamPercent: 20, processCpuPercent: 5, processRssMb: 30 },
      { at: clock.toISOString(), machineCpuPercent: 30, machineRamUsedMb: 1500, machineRamPercent: 40 },
    ]);
    const done = store.complete(id, { statuscode: 4, completedon: clock.toISOString(), outputs: '{"n":1}', runexecutionduration: 1234 });
    expect(done).toMatchObject({ stage: 'completed', statuscode: 4, outputs: '{"n":1}', machinepercentcpuusage: 20, machinepercentramusage: 30, machineramusage: 1500 });
    const events = store.eventsAfter(0, 100);
    expect(events.map((e) => e.kind)).toEqual(['started', 'sample', 'outputs', 'completed']);
    expect(events[3]).toMatchObject({ statuscode: 4, machinepercentcpuusage: 20, machineramusage: 1500, runexecutionduration: 1234, startedon: clock.toISOString() });
    for (const e of events) expect(checkEvent.check(e), checkEvent.errors().join()).toBe(true);
    // idempotent
    store.complete(id, { statuscode: 8, completedon: clock.toISOString() });
    expect(store.getSession(id)?.statuscode).toBe(4);
    expect(store.eventsAfter(0, 100)).toHaveLength(4);

    const [cb] = store.dueCallbacks(clock, 10);
    expect(cb).toMatchObject({ sessionId: id, workflowId: workflowid, url: 'https://example.test/cb', retrycount: 0, ttlinseconds: 86_400 });
    expect(JSON.parse(cb!.body)).toEqual({ flowsessionid: id, statuscode: 4, statecode: 0, startedon: clock.toISOString(), completedon: clock.toISOString(), outputs: { n: 1 } });
    store.recordCallbackAttempt(cb!.backgroundoperationid, { status: 'retry', nextAttemptAt: new Date(clock.getTime() + 60_000), httpStatus: 503 });
    expect(store.dueCallbacks(clock, 10)).toEqual([]);
    const later = new Date(clock.getTime() + 60_000);
    expect(store.dueCallbacks(later, 10)[0]?.retrycount).toBe(1);
    expect(store.pendingCallbackCount()).toBe(1);
    store.recordCallbackAttempt(cb!.backgroundoperationid, { status: 'succeeded', httpStatus: 200 });
    expect(store.pendingCallbackCount()).toBe(0);
    expect(store.dueCallbacks(later, 10)).toEqual([]);
  });

  it('prunes only acked log lines and samples of completed sessions, by age and by size', () => {
    const old = running();
    store.appendLogLines(old, [line(0), line(1), line(2)]);
    store.complete(old, { statuscode: 4, completedon: clock.toISOString() });
    const live = running();
    store.appendLogLines(live, [line(0)]);
    expect(store.prune({ maxAgeMs: 0 })).toEqual({ logLines: 0, samples: 0 }); // nothing acked yet
    store.ackUpTo(store.lastSeq());
    clock = new Date(clock.getTime() + 10_000);
    expect(store.prune({ maxAgeMs: 60_000 }).logLines).toBe(0); // too young
    expect(store.prune({ maxAgeMs: 60_000, maxLogLines: 1 }).logLines).toBe(3); // over the size cap: oldest completed go
    expect(store.logTail(live, 10)).toHaveLength(1); // a running session keeps its lines
  });
});
