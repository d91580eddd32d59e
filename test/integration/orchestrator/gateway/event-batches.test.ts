import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, type LogLine, type SessionEvent } from '../../../../shared/protocol.js';
import { LogType } from '../../../../shared/option-sets.js';
import type { FakeAgent } from '../../../support/fake-agent.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../../../support/orchestrator-harness.js';

let o: TestOrchestrator;
afterEach(async () => {
  await o?.close();
});

/** A machine holding one confirmed session; returns its agent, its credential and the session id. */
async function confirmedSession() {
  o = await startTestOrchestrator({ clock: TestClock.manual() });
  const group = await o.group('g1');
  const wf = await o.workflow();
  const { agent, machineId, credential } = await o.machine('g1');
  await agent.hello();
  const id = await o.session(String(wf['workflowid']), { _machinegroupid_value: String(group['flowmachinegroupid']) });
  await agent.next('assign');
  agent.send({ type: 'accept', sessionId: id });
  await agent.next('confirm');
  return { agent, machineId, credential, id };
}

const at = () => o.clock.now().toISOString();
const line = (seq: number): LogLine => ({ seq, level: 100000001, stream: 'stdout', at: at(), message: `line ${seq}` });
const log = (seq: number, sessionId: string, ...lineSeqs: number[]): SessionEvent => ({ seq, sessionId, at: at(), kind: 'log', lines: lineSeqs.map(line) });

/** The session's flowlog rows in order: `<type> <message or statuscode>` with their per-session seq. */
async function flowlogs(sessionId: string): Promise<{ seq: number; what: string }[]> {
  return (await o.store.logs.forSession(sessionId)).map((r) => {
    const data = JSON.parse(String(r['data'])) as { message?: string; statuscode?: number };
    return { seq: Number(r['seq']), what: `${LogType.labels.get(Number(r['type']))} ${data.message ?? data.statuscode}` };
  });
}

const customLines = async (sessionId: string) => (await flowlogs(sessionId)).filter((l) => l.what.startsWith('CustomLog')).map((l) => l.what.slice('CustomLog '.length));

async function ackOf(agent: FakeAgent): Promise<number> {
  return (await agent.next('ack')).upTo;
}

describe('events frames', () => {
  it('applies a frame of events in order, its log lines as consecutive flowlog rows, and acks its last seq once', async () => {
    const { agent, id } = await confirmedSession();
    const before = (await flowlogs(id)).length;
    agent.send({
      type: 'events',
      events: [
        { seq: 1, sessionId: id, at: at(), kind: 'started', startedon: at() },
        log(2, id, 0, 1),
        log(3, id, 2),
        { seq: 4, sessionId: id, at: at(), kind: 'sample', samples: [{ at: at(), machineCpuPercent: 12, machineRamUsedMb: 100, machineRamPercent: 30 }] },
        log(5, id, 3),
        { seq: 6, sessionId: id, at: at(), kind: 'completed', statuscode: 4, completedon: at() },
        log(7, id, 4),
      ],
    });
    expect(await ackOf(agent)).toBe(7);
    expect(await customLines(id)).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    const rows = await flowlogs(id);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i));
    // The completion is written between the lines that came before and after it.
    expect(rows.slice(before).map((r) => r.what)).toEqual(['CustomLog line 0', 'CustomLog line 1', 'CustomLog line 2', 'CustomLog line 3', 'DesktopFlowRunQueueRunCompleted 4', 'CustomLog line 4']);
    expect(await o.get(id)).toMatchObject({ statuscode: 4, machinepercentcpuusage: 12 });
    // A round trip behind it (a replayed duplicate is acked again): a second ack of the frame would come first.
    agent.send({ type: 'events', events: [log(7, id, 4)] });
    expect(await ackOf(agent)).toBe(7);
    expect(agent.unreadTypes()).not.toContain('ack');
  });

  it('applies log-chunk events once as the rows the same lines give as log events (times, levels, streams), a replayed chunk skipped; a chunk whose runs and lines disagree closes the socket unapplied', async () => {
    const { agent, id } = await confirmedSession();
    const t0 = at();
    const t1 = new Date(o.clock.now().getTime() + 5).toISOString();
    const chunk = (seq: number, firstLine: number, text: string, times: [string, number][], stream: 'stdout' | 'stderr' = 'stdout') =>
      ({ seq, sessionId: id, at: t0, kind: 'log-chunk', stream, level: stream === 'stdout' ? 100000001 : 100000002, firstLine, times, text }) as const;
    agent.send({
      type: 'events',
      events: [
        { seq: 1, sessionId: id, at: t0, kind: 'started', startedon: t0 },
        chunk(2, 0, 'line 0\nline "1" \\\n', [[t0, 2], [t1, 1]]),
        chunk(3, 3, 'warn 3', [[t1, 1]], 'stderr'),
        log(4, id, 4),
      ],
    });
    expect(await ackOf(agent)).toBe(4);
    agent.send({ type: 'events', events: [chunk(3, 3, 'warn 3', [[t1, 1]], 'stderr'), chunk(5, 5, 'line 5', [[t1, 1]])] });
    expect(await ackOf(agent)).toBe(5);
    expect(await customLines(id)).toEqual(['line 0', 'line "1" \\', '', 'warn 3', 'line 4', 'line 5']);
    const rows = (await o.store.logs.forSession(id)).filter((r) => r.name === 'stdout' || r.name === 'stderr');
    expect(rows.map((r) => [r.name, r.level, r.createdon])).toEqual([
      ['stdout', 100000002, t0],
      ['stdout', 100000002, t0],
      ['stdout', 100000002, t1],
      ['stderr', 100000003, t1],
      ['stdout', 100000002, t0],
      ['stdout', 100000002, t1],
    ]);
    agent.send({ type: 'events', events: [chunk(6, 6, 'a\nb', [[t1, 1]])] });
    const closed = await agent.closed;
    expect(closed.code).toBe(CloseCode.InvalidFrame);
    expect(closed.reason).toMatch(/times count 1 lines, its text holds 2/);
    expect(await customLines(id)).toHaveLength(6);
  });

  it('accepts event and events frames mixed, skips the duplicates of a replay that overlaps what was applied', async () => {
    const { agent, machineId, credential, id } = await confirmedSession();
    agent.event({ seq: 1, sessionId: id, kind: 'started', startedon: at() });
    agent.send({ type: 'events', events: [log(2, id, 0), log(3, id, 1)] });
    agent.event({ seq: 4, sessionId: id, kind: 'log', lines: [line(2)] });
    await agent.acked(4);
    await agent.close();

    const again = await o.connect(machineId, credential);
    expect((await again.hello({ lastAckedSeq: 2, activeSessions: [id] })).appliedUpTo).toBe(4);
    again.send({ type: 'events', events: [log(3, id, 1), log(4, id, 2), log(5, id, 3)] });
    expect(await ackOf(again)).toBe(5);
    // Only duplicates: acked with what was applied, nothing written.
    again.send({ type: 'events', events: [log(4, id, 2), log(5, id, 3)] });
    expect(await ackOf(again)).toBe(5);
    expect(await customLines(id)).toEqual(['line 0', 'line 1', 'line 2', 'line 3']);
  });

  it('a gap inside a frame closes the connection; the events before it are applied and the rest is not', async () => {
    const { agent, machineId, credential, id } = await confirmedSession();
    agent.send({ type: 'events', events: [{ seq: 1, sessionId: id, at: at(), kind: 'started', startedon: at() }, log(2, id, 0), log(4, id, 2), log(5, id, 3)] });
    const closed = await agent.closed;
    expect(closed).toMatchObject({ code: CloseCode.InvalidFrame, reason: 'event seq 4 skips ahead; expected 3' });
    expect(await customLines(id)).toEqual(['line 0']);
    expect(await o.get(id)).toMatchObject({ statuscode: 2 });
    const again = await o.connect(machineId, credential);
    expect((await again.hello({ lastAckedSeq: 0, activeSessions: [id] })).appliedUpTo).toBe(2);
  });

  it('an event of a session that is not the machine`s closes the connection; the events before it stay applied', async () => {
    const { agent, machineId, credential, id } = await confirmedSession();
    const foreign = '00000000-0000-4000-8000-000000000000';
    agent.send({ type: 'events', events: [log(1, id, 0), log(2, foreign, 0), log(3, id, 1)] });
    const closed = await agent.closed;
    expect(closed.code).toBe(CloseCode.InvalidFrame);
    expect(closed.reason).toBe(`session ${foreign} is not assigned to this machine`);
    expect(await customLines(id)).toEqual(['line 0']);
    const again = await o.connect(machineId, credential);
    expect((await again.hello({ lastAckedSeq: 0, activeSessions: [id] })).appliedUpTo).toBe(1);
  });

  it('applies a backlog of several frames completely and in order, acking up to its last seq', async () => {
    const { agent, id } = await confirmedSession();
    const total = 9000;
    for (let first = 1; first <= total; first += 2000) {
      const events = Array.from({ length: Math.min(2000, total - first + 1) }, (_, i) => log(first + i, id, first + i - 1));
      agent.send({ type: 'events', events });
    }
    await agent.acked(total, 20_000);
    const lines = await customLines(id);
    expect(lines).toHaveLength(total);
    expect(lines.every((text, i) => text === `line ${i}`)).toBe(true);
  });

  it('refuses an events frame that is empty or has an invalid event, applying none of it', async () => {
    const { agent, id } = await confirmedSession();
    agent.send({ type: 'events', events: [] } as never);
    expect(await agent.closed).toMatchObject({ code: CloseCode.InvalidFrame });
    const { agent: again, machineId, credential } = await o.machine('g1', { name: 'other' });
    await again.hello();
    again.send({ type: 'events', events: [log(1, id, 0), { ...log(2, id, 1), kind: 'nonsense' }] } as never);
    const closed = await again.closed;
    expect(closed.code).toBe(CloseCode.InvalidFrame);
    expect(closed.reason).toMatch(/^invalid events frame/);
    expect(await customLines(id)).toEqual([]);
    const third = await o.connect(machineId, credential);
    expect((await third.hello()).appliedUpTo).toBe(0);
  });
});
