import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionEvent } from '../../../../../shared/protocol.js';
import { validator } from '../../../../../shared/validate.js';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { openStoreForMachine } from '../../../../../main/agent/store/store-identity.js';
import { makeAssign } from '../../../../support/agent-assign.js';

const checkEvent = validator(SessionEvent);
let dir: string;
let file: string;
const open: AgentStore[] = [];
const track = (s: AgentStore) => (open.push(s), s);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-store-local-'));
  file = join(dir, 'agent.db');
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const localAssign = () => makeAssign({ session: { runmode: 0, name: 'local run' }, inputs: { n: 1 } });

describe('AgentStore local sessions', () => {
  it('a local session is confirmed at once and its first event, local-session, is in the outbox before any other', () => {
    const store = track(AgentStore.open(file));
    const a = localAssign();
    const id = a.session.flowsessionid;
    const workflowid = randomUUID();
    store.recordLocalSession(a, { workflowid });
    store.markRunning(id, { startedon: new Date().toISOString() });
    const [first, second] = store.eventsAfter(0, 10);
    expect(first).toMatchObject({ seq: 1, kind: 'local-session', sessionId: id, name: 'local run', createdon: a.session.createdon, inputs: '{"n":1}', workflowid });
    expect(checkEvent.check(first)).toBe(true);
    expect(second).toMatchObject({ seq: 2, kind: 'started' });
    expect(store.getSession(id)).toMatchObject({ stage: 'running', local: true, ownerPid: process.pid });
    expect(store.isUnreportedLocal(id)).toBe(true);
    store.ackUpTo(1);
    expect(store.isUnreportedLocal(id)).toBe(false);
  });

  it('refuses a non-Local assignment as a local session', () => {
    const store = track(AgentStore.open(file));
    expect(() => store.recordLocalSession(makeAssign())).toThrow(/runmode 0/);
    expect(store.lastSeq()).toBe(0);
  });

  it('rebasing the outbox renumbers events, their log lines and the local session mark together', () => {
    const store = track(AgentStore.open(file));
    const a = localAssign();
    const id = a.session.flowsessionid;
    store.recordLocalSession(a);
    store.markRunning(id, { startedon: new Date().toISOString() });
    store.appendLogLines(id, [{ seq: 0, level: 100000001, stream: 'stdout', at: new Date().toISOString(), message: 'x' }]);
    expect(store.rebaseOutbox(100)).toEqual({ shift: 100, pending: 3 });
    expect(store.eventsAfter(0, 10).map((e) => [e.seq, e.kind])).toEqual([
      [101, 'local-session'],
      [102, 'started'],
      [103, 'log'],
    ]);
    expect(store.lastSeq()).toBe(103);
    expect(store.lastAckedSeq()).toBe(100);
    expect(store.isUnreportedLocal(id)).toBe(true);
    store.ackUpTo(101);
    expect(store.isUnreportedLocal(id)).toBe(false);
    // The log line follows its event: retention prunes it only once 103 is acked.
    store.complete(id, { statuscode: 4, completedon: new Date(Date.now() - 30 * 86_400_000).toISOString() });
    expect(store.prune({ maxAgeMs: 1000 }).logLines).toBe(0);
    store.ackUpTo(store.lastSeq());
    expect(store.prune({ maxAgeMs: 1000 }).logLines).toBe(1);
  });
});

describe('openStoreForMachine', () => {
  const machineA = randomUUID();
  const machineB = randomUUID();

  it('records the machine at first use and reopens it as is', () => {
    const warnings: string[] = [];
    const s1 = openStoreForMachine(file, machineA, { warn: (m) => warnings.push(m) });
    expect(s1.machineId()).toBe(machineA);
    s1.recordAssignment(makeAssign());
    s1.close();
    const s2 = track(openStoreForMachine(file, machineA, { warn: (m) => warnings.push(m) }));
    expect(s2.recentSessions(10)).toHaveLength(1);
    // Of one stage, the limit counts only that stage: the session is not finished.
    expect(s2.recentSessions(10, 'completed')).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('adopts a store no orchestrator has seen: Local runs made before the first registration are reported by this machine', () => {
    const s0 = AgentStore.open(file);
    s0.recordLocalSession(localAssign());
    s0.close();
    const s1 = track(openStoreForMachine(file, machineA, { warn: () => undefined }));
    expect(s1.machineId()).toBe(machineA);
    expect(s1.pendingEventCount()).toBe(1);
  });

  it('keeps the store of another machine as agent.db.<old id>.bak, says so, and starts fresh', () => {
    const s1 = openStoreForMachine(file, machineA, { warn: () => undefined });
    s1.recordAssignment(makeAssign());
    s1.recordLocalSession(localAssign());
    s1.close();
    const warnings: string[] = [];
    const s2 = track(openStoreForMachine(file, machineB, { warn: (m) => warnings.push(m) }));
    expect(s2.machineId()).toBe(machineB);
    expect(s2.lastSeq()).toBe(0);
    expect(s2.recentSessions(10)).toEqual([]);
    const bak = `${file}.${machineA}.bak`;
    expect(existsSync(bak)).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`belongs to machine ${machineA}, this agent is machine ${machineB}`);
    expect(warnings[0]).toContain(bak);
    expect(warnings[0]).toContain('1 event(s) never reported');
    const old = track(AgentStore.open(bak));
    expect(old.machineId()).toBe(machineA);
    expect(old.recentSessions(10)).toHaveLength(2);
  });

  it('keeps aside an identity-less store that served an orchestrator (written before identities were recorded)', () => {
    const s0 = AgentStore.open(file);
    s0.recordAssignment(makeAssign());
    s0.close();
    const warnings: string[] = [];
    track(openStoreForMachine(file, machineB, { warn: (m) => warnings.push(m) }));
    expect(existsSync(`${file}.unknown-machine.bak`)).toBe(true);
    expect(warnings[0]).toContain('used by an earlier registration');
  });
});
