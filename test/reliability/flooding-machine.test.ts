import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, MAX_EVENTS_PER_FRAME, type SessionEvent } from '../../shared/protocol.js';
import { flowsessionEntity } from '../../shared/records/index.js';
import { appliedSeq } from '../../orchestrator/gateway/event-applier.js';
import { checkFilter, parseFilter } from '../../orchestrator/odata/index.js';
import { FakeAgent, registerMachine } from '../support/fake-agent.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../support/orchestrator-harness.js';

/**
 * Issue 12 item 14: an authenticated machine sends more than any agent needs — frames of megabytes as fast as the
 * socket takes them, or one frame that creates thousands of sessions. Its frames wait for its budget (the socket
 * is not read meanwhile) and are applied later, every event exactly once; others are served meanwhile. The budget's
 * clock is moved by hand, so "later" is an order, never a time.
 */
let o: TestOrchestrator | undefined;
const agents: FakeAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.ws.terminate();
  await o?.close();
  o = undefined;
});

const KiB = 1024;
const at = () => new Date().toISOString();

/** `lines` log lines of ~`bytes` each, messages unique: `<tag>-<n>`. */
function logEvent(seq: number, sessionId: string, tag: string, lines: number, bytes: number): SessionEvent {
  return {
    seq,
    sessionId,
    at: at(),
    kind: 'log',
    lines: Array.from({ length: lines }, (_, i) => ({ seq: i, level: 100000000, stream: 'stdout' as const, at: at(), message: `${tag}-${i}-${'x'.repeat(bytes)}` })),
  };
}

const localSession = (seq: number, sessionId = randomUUID()): SessionEvent => ({ seq, sessionId, at: at(), kind: 'local-session', name: `local ${seq}`, createdon: at() });

describe('hostile input: a machine that floods the gateway', () => {
  it('its frames past the budget wait unread and are applied later, every event once; another machine and the admin API are served meanwhile', async () => {
    // 480 KiB at once, then 100 KiB/s: two frames of ~200 KiB pass, the rest wait for the clock.
    const clock = TestClock.manual(Date.now());
    o = await startTestOrchestrator({ clock, gateway: { queueTickMs: 20, machineBudget: { burstBytes: 480 * KiB, bytesPerSecond: 100 * KiB } } });
    expect((await o.api('POST', 'flowmachinegroups', { name: 'g1', password: 'group-password-1' })).status).toBeLessThan(300);
    const connect = async (name: string) => {
      const reg = await registerMachine(o!.url, { group: 'g1', password: 'group-password-1', name });
      const agent = await FakeAgent.connect({ baseUrl: o!.url, machineId: reg.flowmachineid, credential: reg.credential });
      agents.push(agent);
      await agent.hello();
      return agent;
    };
    const flooder = await connect('flooder');
    const session = randomUUID();
    const FRAMES = 6;
    const LINES = 200;
    let seq = 0;
    for (let f = 0; f < FRAMES; f++) {
      const events: SessionEvent[] = f === 0 ? [localSession(++seq, session)] : [];
      for (let e = 0; e < 4; e++) events.push(logEvent(++seq, session, `f${f}e${e}`, LINES / 4, 1000));
      flooder.send({ type: 'events', events });
    }
    const lastOfSecond = 9; // frame 0: local-session + 4 logs (seq 1..5), frame 1: seq 6..9
    await flooder.acked(lastOfSecond);

    // Meanwhile: a second machine's events are applied and acked, and the admin API answers.
    const other = await connect('other');
    const otherSession = randomUUID();
    other.send({ type: 'events', events: [localSession(1, otherSession), logEvent(2, otherSession, 'other', 3, 10)] });
    await other.acked(2);
    const listed = await o.api('GET', `flowsessions?$filter=flowsessionid eq ${otherSession}&$select=name`);
    expect(listed.status).toBe(200);
    expect(listed.json.value).toHaveLength(1);
    const store = o.running.store;
    const flooderId = flooder.machineId;
    expect(await appliedSeq(store, flooderId)).toBe(lastOfSecond);
    expect(Math.max(...flooder.received.filter((f) => f.type === 'ack').map((f) => f.upTo))).toBe(lastOfSecond);

    // The budget refills (a second per 10 ms): the waiting frames are read and applied, each event exactly once.
    const tick = setInterval(() => clock.advance(1000), 10);
    await flooder.acked(seq, 15_000).finally(() => clearInterval(tick));
    expect(await appliedSeq(store, flooderId)).toBe(seq);
    const messages = (await store.logs.forSession(session))
      .map((r) => (JSON.parse(String(r['data'])) as { message?: string }).message)
      .filter((m) => m !== undefined);
    expect(messages).toHaveLength(FRAMES * LINES);
    expect(new Set(messages).size).toBe(FRAMES * LINES);
  }, 60_000);

  it('a frame creating 2,000 local sessions is applied up to 100 and refused clearly (4000); the agent sends the rest again and every session exists once; 2,001 events in one frame are refused whole', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    await o.group('g1');
    const reg = await registerMachine(o.url, { group: 'g1', password: 'group-password', name: 'many' });
    const all = Array.from({ length: MAX_EVENTS_PER_FRAME }, (_, i) => localSession(i + 1));

    const tooMany = await o.connect(reg.flowmachineid, reg.credential);
    await tooMany.hello();
    tooMany.send({ type: 'events', events: [...all, localSession(2001)] });
    expect((await tooMany.closed).code).toBe(CloseCode.InvalidFrame);
    const store = o.store;
    const onMachine = () => store.records.list(flowsessionEntity, { filter: checkFilter(flowsessionEntity, parseFilter(`_machineid_value eq ${reg.flowmachineid}`)) });
    expect(await onMachine()).toHaveLength(0);

    // As the agent does: after each close it reconnects and sends what follows the welcome's appliedUpTo.
    const closes: string[] = [];
    for (let round = 0; round < 25; round++) {
      const agent = await o.connect(reg.flowmachineid, reg.credential);
      const welcome = await agent.hello();
      const rest = all.slice(welcome.appliedUpTo);
      agent.send({ type: 'events', events: rest });
      if (rest.length <= 100) {
        await agent.acked(all.length);
        await agent.close();
        break;
      }
      const closed = await agent.closed;
      expect(closed.code).toBe(CloseCode.InvalidFrame);
      closes.push(closed.reason);
    }
    expect(closes).toHaveLength(19);
    expect(closes[0]).toBe('more than 100 local sessions in one frame; seq 101 and later: send them again');
    const sessions = await onMachine();
    expect(sessions).toHaveLength(all.length);
    expect(new Set(sessions.map((s) => s['flowsessionid'])).size).toBe(all.length);
  }, 120_000);
});
