import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture } from '../e2e/e2e-harness.js';
import { makeAssign } from '../support/agent-assign.js';
import { agentOutbox } from './support/session-audit.js';
import { isFrame } from './support/scripted-orchestrator.js';
import { startScriptedAgent } from './support/scripted-agent.js';

/**
 * Upgrade order: an agent newer than its orchestrator. The orchestrator (played by the test) does not know `events`
 * frames and closes the socket on the first one, as an older release's decoder does; the agent reconnects, sends one
 * `event` per frame from then on, and every event arrives once and in order.
 */
describe('reliability: an orchestrator older than `events` frames', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('the agent falls back to one event per frame after the refusal; nothing is lost or doubled', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flowhost-older-orchestrator-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { peer } = await startScriptedAgent({ dataDir, capacity: 1, name: 'older-orchestrator', backoff: { initialMs: 10, maxMs: 20 } }, cleanups);
    peer.refuseEventsFrames = true;

    const lines = makeAssign({ flow: { schemaversion: 1, kind: 'command', argv: [process.execPath, fixture('ticker.mjs')] }, inputs: { ticks: 20, everyMs: 5 } });
    const id = lines.session.flowsessionid;
    peer.send(lines);
    await peer.waitFrame(isFrame('accept', (f) => f.sessionId === id), { what: 'accept' });
    peer.send({ type: 'confirm', sessionId: id });
    await peer.waitFrame(isFrame('event', (f) => f.event.kind === 'completed' && f.event.sessionId === id), { what: 'the completed event', timeoutMs: 30_000 });

    expect(peer.eventsFramesRefused).toBe(1);
    const { lastSeq } = agentOutbox(join(dataDir, 'agent.db'));
    expect(peer.eventSeqs()).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    const ticks = peer.frames.flatMap((f) => (f.type === 'event' && f.event.kind === 'log' ? f.event.lines.filter((l) => l.stream === 'stdout') : []));
    expect(ticks.map((l) => l.message)).toEqual(Array.from({ length: 20 }, (_, i) => `tick ${i + 1}`));
  }, 60_000);
});
