import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeAssign } from '../support/agent-assign.js';
import { fixture } from '../e2e/e2e-harness.js';
import { waitFor } from '../support/wait-for.js';
import { agentOutbox } from './support/session-audit.js';
import { isFrame, logLines } from './support/scripted-orchestrator.js';
import { startScriptedAgent } from './support/scripted-agent.js';

/**
 * The outbox cap with a real Agent and a real socket whose orchestrator end (played by the test) never acks: the
 * backlog of unacked events grows past a small cap while a session logs; the agent then reports storageOk=false,
 * rejects a new assignment with OutboxFull, keeps committing (and sending) the running session's events, and takes
 * work again once the orchestrator acks.
 */
const CAP = 8;

describe('reliability: the outbox cap', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it(`cap ${CAP}: above it new sessions are rejected (OutboxFull) and the state says storageOk=false; running sessions keep logging; acks reopen it`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flowhost-outbox-cap-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { peer, agent } = await startScriptedAgent({ dataDir, capacity: 3, name: 'outbox-cap', outboxCap: CAP }, cleanups);

    const ticker = { schemaversion: 1 as const, kind: 'command' as const, argv: [process.execPath, fixture('ticker.mjs')] };
    const first = makeAssign({ flow: ticker, inputs: { ticks: 150, everyMs: 20 } });
    const id1 = first.session.flowsessionid;
    peer.send(first);
    await peer.waitFrame(isFrame('accept', (f) => f.sessionId === id1), { what: 'accept of the first session' });
    peer.send({ type: 'confirm', sessionId: id1 });

    // No acks: the backlog crosses the cap and the agent says so in its state.
    const full = await peer.waitFrame(isFrame('state', (f) => !f.state.storageOk), { what: 'a state frame with storageOk=false', timeoutMs: 20_000 });
    expect(full.state.freeSlots).toBe(2);
    expect(agent.state().scheduling.storageOk).toBe(false);

    const second = makeAssign();
    const id2 = second.session.flowsessionid;
    const mark = peer.frames.length;
    peer.send(second);
    const rejected = await peer.waitFrame(isFrame('reject', (f) => f.sessionId === id2), { from: mark, what: 'reject of the second session' });
    expect(rejected.errorcode).toBe('OutboxFull');
    expect(rejected.message).toMatch(/cap 8/);

    // The running session is not held back: it logs to its end, every event committed and sent in seq order.
    await peer.waitFrame(isFrame('event', (f) => f.event.kind === 'completed' && f.event.sessionId === id1), { what: 'completed of the first session', timeoutMs: 30_000 });
    const seqs = peer.eventSeqs();
    const { lastSeq } = agentOutbox(join(dataDir, 'agent.db'));
    expect(lastSeq).toBeGreaterThan(CAP);
    expect(seqs).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    const ticks = peer.frames.flatMap((f) => (f.type === 'event' ? logLines(f.event).filter((l) => l.stream === 'stdout') : []));
    expect(ticks.map((l) => l.message)).toEqual(Array.from({ length: 150 }, (_, i) => `tick ${i + 1}`));

    // The orchestrator takes everything: the cap opens, the state says so, new work is accepted.
    const beforeAck = peer.frames.length;
    peer.send({ type: 'ack', upTo: lastSeq });
    await peer.waitFrame(isFrame('state', (f) => f.state.storageOk), { from: beforeAck, what: 'a state frame with storageOk=true' });
    const third = makeAssign();
    peer.send(third);
    await peer.waitFrame(isFrame('accept', (f) => f.sessionId === third.session.flowsessionid), { from: beforeAck, what: 'accept of the third session' });
    await waitFor(() => agent.state().backlog.events === 0, { what: 'the outbox to be empty' });
    console.log(`outbox cap ${CAP}: peak backlog ${lastSeq} events (all sent in order, 150/150 lines), second session rejected OutboxFull, third accepted after the ack`);
  }, 60_000);
});
