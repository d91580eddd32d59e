import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/error-codes.js';
import { AGENT_FEATURES, Feature } from '../../shared/protocol-features.js';
import { fixture } from '../e2e/e2e-harness.js';
import { makeAssign } from '../support/agent-assign.js';
import { agentOutbox } from './support/session-audit.js';
import { isFrame } from './support/scripted-orchestrator.js';
import { startScriptedAgent } from './support/scripted-agent.js';

const tickerFlow = { schemaversion: 1 as const, kind: 'command' as const, argv: [process.execPath, fixture('ticker.mjs')] };

/**
 * Upgrade order: an agent newer than its orchestrator. The orchestrator (played by the test) announces fewer
 * features, and closes the socket as an older release's decoder would on a hello carrying `features` or on an
 * `events` frame. The agent sends only what the orchestrator declared, so it is never refused.
 */
describe('reliability: an agent and an orchestrator that declares fewer features', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function start(name: string, peerFeatures?: readonly string[]) {
    const dataDir = mkdtempSync(join(tmpdir(), `flowhost-${name}-`));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { peer } = await startScriptedAgent({ dataDir, capacity: 1, name, backoff: { initialMs: 10, maxMs: 20 }, ...(peerFeatures ? { peerFeatures } : {}) }, cleanups);
    return { dataDir, peer };
  }

  /** Offers a ticker session, confirms it and waits for its `completed` event. */
  async function runTicker(peer: Awaited<ReturnType<typeof start>>['peer'], ticks: number): Promise<void> {
    const lines = makeAssign({ flow: tickerFlow, inputs: { ticks, everyMs: 5 } });
    const id = lines.session.flowsessionid;
    peer.send(lines);
    await peer.waitFrame(isFrame('accept', (f) => f.sessionId === id), { what: 'accept' });
    peer.send({ type: 'confirm', sessionId: id });
    await peer.waitFrame(isFrame('event', (f) => f.event.kind === 'completed' && f.event.sessionId === id), { what: 'the completed event', timeoutMs: 30_000 });
  }

  it('an orchestrator before negotiation (no features announced): one event per `event` frame from the start, no `features` in hello; nothing refused, lost or doubled', async () => {
    const { dataDir, peer } = await start('older-orchestrator', []);

    await runTicker(peer, 20);

    // Before negotiation the agent sent an `events` frame first and fell back after the refusal (one close).
    expect(peer.eventsFramesRefused).toBe(0);
    expect(peer.closes).toEqual([]);
    const hello = peer.frames.find(isFrame('hello'));
    expect(hello && 'features' in hello).toBe(false);
    // The previous orchestrator reads `callback-key` from the upgrade header: the agent still lists it there.
    expect(peer.agentHeaders[0]?.has(Feature.CallbackKey)).toBe(true);
    const { lastSeq } = agentOutbox(join(dataDir, 'agent.db'));
    expect(peer.eventSeqs()).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    const ticks = peer.frames.flatMap((f) => (f.type === 'event' && f.event.kind === 'log' ? f.event.lines.filter((l) => l.stream === 'stdout') : []));
    expect(ticks.map((l) => l.message)).toEqual(Array.from({ length: 20 }, (_, i) => `tick ${i + 1}`));
  }, 60_000);

  it('an orchestrator that announces `features` but not `events`: the agent declares its features in hello and sends single `event` frames', async () => {
    const { peer } = await start('no-events-orchestrator', [Feature.FeatureLists]);
    await runTicker(peer, 3);
    expect(peer.frames.find(isFrame('hello'))?.features).toEqual([...AGENT_FEATURES]);
    expect(peer.eventsFramesRefused).toBe(0);
    expect(peer.eventsFramesReceived).toBe(0);
    expect(peer.closes).toEqual([]);
  }, 60_000);

  it('an orchestrator that declares `events` gets them', async () => {
    const { peer } = await start('current-orchestrator');
    await runTicker(peer, 3);
    expect(peer.eventsFramesReceived).toBeGreaterThan(0);
    expect(peer.closes).toEqual([]);
  }, 60_000);

  it('an offer the agent cannot read (a flow kind it does not know) is rejected with the reason; the connection stays and the next offer runs', async () => {
    const { peer } = await start('unreadable-offer');
    const unknown = makeAssign();
    const text = JSON.stringify({ ...unknown, flow: { schemaversion: 1, kind: 'python', script: 'print(1)' } });
    peer.sendText(text);
    const reject = await peer.waitFrame(isFrame('reject', (f) => f.sessionId === unknown.session.flowsessionid), { what: 'the reject' });
    expect(reject.errorcode).toBe(ErrorCode.FeatureUnsupported);
    expect(reject.message).toMatch(/invalid assign frame/);

    const next = makeAssign();
    peer.send(next);
    await peer.waitFrame(isFrame('accept', (f) => f.sessionId === next.session.flowsessionid), { what: 'the next accept' });
    // Before, the agent closed the socket (4000) and the orchestrator offered the session again after the reconnect.
    expect(peer.closes).toEqual([]);
  }, 60_000);
});
