import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, type AgentOptions } from '../../main/agent/agent.js';
import { makeAssign } from '../support/agent-assign.js';
import { alive, fixture, e2eLogger } from '../e2e/e2e-harness.js';
import { createFixtureWorkflow, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd } from '../support/api-harness.js';
import { waitFor } from '../support/wait-for.js';
import { agentOutbox } from './support/session-audit.js';
import { expectOutboxSentInOrder, isFrame, logLines } from './support/scripted-orchestrator.js';
import { scriptedCredentials, startScriptedAgent } from './support/scripted-agent.js';
import { mountSupport, SmallDisk } from './support/small-disk.js';
import { LINUX, skipUnless } from '../support/requirements.js';

/**
 * Disk full and read-only data dir, on a real tmpfs (kernel ENOSPC) and a real read-only bind mount. The agent must
 * refuse new sessions with StorageUnavailable and a clear reason, lose nothing it committed, and take work again
 * once space returns.
 */
const support = mountSupport();
const MiB = 1_048_576;
const lines = { schemaversion: 1 as const, kind: 'command' as const, argv: [process.execPath, fixture('lines.mjs')] };

describe.skipIf(skipUnless(support.ok, { what: support.ok ? '' : support.reason, platforms: LINUX }))('reliability: disk full and read-only data dir', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function disk(sizeMiB: number): SmallDisk {
    const d = SmallDisk.mount(sizeMiB);
    cleanups.push(() => d.dispose());
    return d;
  }

  async function agentWithPeer(dataDir: string, extra: Partial<AgentOptions> = {}) {
    const { peer, agent } = await startScriptedAgent({ dataDir, capacity: 2, name: 'disk', peerHeartbeatMs: 100, ...extra }, cleanups);
    /** Assign → accept → confirm → completed; returns the session id. */
    const run = async (assign = makeAssign({ flow: lines, inputs: { lines: 50 } })) => {
      const id = assign.session.flowsessionid;
      const from = peer.frames.length;
      peer.send(assign);
      await peer.waitFrame(isFrame('accept', (f) => f.sessionId === id), { from, what: `accept of ${id}` });
      peer.send({ type: 'confirm', sessionId: id });
      await peer.waitFrame(isFrame('event', (f) => f.event.kind === 'completed' && f.event.sessionId === id), { from, what: `completed of ${id}` });
      return id;
    };
    const rejectOf = async (assign: ReturnType<typeof makeAssign>) => {
      const from = peer.frames.length;
      peer.send(assign);
      return peer.waitFrame(isFrame('reject', (f) => f.sessionId === assign.session.flowsessionid), { from, what: 'a reject' });
    };
    return { peer, agent, run, rejectOf };
  }

  it('free space below the reserve: state storageOk=false, assign rejected StorageUnavailable (with the free space), outbox intact, work again once space returns', async () => {
    const d = disk(48);
    const dataDir = d.dir('agent');
    const { peer, agent, run, rejectOf } = await agentWithPeer(dataDir, { minFreeBytes: 16 * MiB });
    await run(); // committed events, never acked by this peer: they must survive the full disk
    const before = agentOutbox(join(dataDir, 'agent.db'));
    d.fill(8 * MiB);
    const from = peer.frames.length;
    await peer.waitFrame(isFrame('state', (f) => !f.state.storageOk), { from, what: 'a state frame with storageOk=false' });
    expect(agent.state().scheduling.storageOk).toBe(false);
    const reject = await rejectOf(makeAssign());
    expect(reject.errorcode).toBe('StorageUnavailable');
    expect(reject.message).toMatch(/has \d+ MiB free, below the 16 MiB/);
    expect(agentOutbox(join(dataDir, 'agent.db'))).toEqual(before);

    d.unfill();
    const back = peer.frames.length;
    await peer.waitFrame(isFrame('state', (f) => f.state.storageOk), { from: back, what: 'a state frame with storageOk=true' });
    await run();
    const after = agentOutbox(join(dataDir, 'agent.db'));
    expect(after.lastSeq).toBeGreaterThan(before.lastSeq);
    expectOutboxSentInOrder(peer, after.lastSeq);
    console.log(`disk below reserve: rejected "${reject.message}"; ${before.lastSeq} events committed before the fill all kept and sent; work taken again after the space came back`);
  }, 60_000);

  it('disk really full (no reserve): SQLite fails the write (SQLITE_FULL), the assign is rejected StorageUnavailable, storageOk=false until the retry; nothing committed is lost', async () => {
    const d = disk(24);
    const dataDir = d.dir('agent');
    const { peer, agent, run, rejectOf } = await agentWithPeer(dataDir, { minFreeBytes: 0, storageRetryMs: 500 });
    await run();
    const before = agentOutbox(join(dataDir, 'agent.db'));
    d.fill(0);
    // 1.5 MB of inputs: more WAL than the store ever wrote, so the write needs new pages on a full disk.
    const big = makeAssign({ inputs: { blob: 'x'.repeat(1_500_000) } });
    const reject = await rejectOf(big);
    expect(reject.errorcode).toBe('StorageUnavailable');
    expect(reject.message).toMatch(/could not store the assignment: .*(full|SQLITE_FULL)/i);
    await waitFor(() => agent.state().scheduling.storageOk === false || undefined, { what: 'storageOk=false' });
    d.unfill();
    expect(agentOutbox(join(dataDir, 'agent.db'))).toEqual(before);
    await waitFor(() => agent.state().scheduling.storageOk || undefined, { what: 'storageOk=true after the retry time', timeoutMs: 5000 });
    await run(makeAssign({ flow: lines, inputs: { lines: 5, blob: 'x'.repeat(1_500_000) } }));
    expectOutboxSentInOrder(peer, agentOutbox(join(dataDir, 'agent.db')).lastSeq);
    console.log(`disk full: rejected "${reject.message.slice(0, 120)}"; ${before.lastSeq} committed events kept; the same 1.5 MB assign accepted after the space came back`);
  }, 60_000);

  it('the disk fills up completely while a session logs: its lines are held in memory, its end is retried, and all of it is stored once space returns', async () => {
    const d = disk(24);
    const dataDir = d.dir('agent');
    const markers = mkdtempSync(join(tmpdir(), 'flowhost-disk-markers-'));
    cleanups.push(() => rmSync(markers, { recursive: true, force: true }));
    const { peer } = await agentWithPeer(dataDir, { minFreeBytes: 0 });
    // A flow that needs no disk of its own: 300 numbered lines, progress and pid in a marker dir on another disk.
    const script = [
      `const fs = require('fs'), m = process.argv[1];`,
      `fs.writeFileSync(m + '.pid', String(process.pid));`,
      `let i = 0; const t = setInterval(() => { for (let j = 0; j < 10; j++) console.log('line ' + ++i);`,
      `fs.writeFileSync(m + '.count', String(i)); if (i >= 300) clearInterval(t); }, 10);`,
    ].join(' ');
    const assign = makeAssign({ flow: { schemaversion: 1, kind: 'command', argv: [process.execPath, '-e', script, join(markers, 'flow')] } });
    const id = assign.session.flowsessionid;
    peer.send(assign);
    await peer.waitFrame(isFrame('accept', (f) => f.sessionId === id), { what: 'accept' });
    peer.send({ type: 'confirm', sessionId: id });
    const count = () => (existsSync(join(markers, 'flow.count')) ? Number(readFileSync(join(markers, 'flow.count'), 'utf8')) : 0);
    await waitFor(() => count() >= 50, { what: 'the flow to write 50 lines' });
    d.fill(0);
    const pid = Number(readFileSync(join(markers, 'flow.pid'), 'utf8'));
    await waitFor(() => count() === 300 && !alive(pid), { what: 'the flow to finish while the disk is full', timeoutMs: 15_000 });
    const completedWhileFull = peer.frames.some((f) => f.type === 'event' && f.event.kind === 'completed');
    d.unfill();
    await peer.waitFrame(isFrame('event', (f) => f.event.kind === 'completed' && f.event.sessionId === id), { what: 'completed after space returned', timeoutMs: 40_000 });
    const upstream = peer.frames.flatMap((f) => (f.type === 'event' ? logLines(f.event).filter((l) => l.stream === 'stdout').map((l) => l.message) : []));
    expect(completedWhileFull).toBe(false);
    expect(upstream).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i + 1}`));
    expectOutboxSentInOrder(peer, agentOutbox(join(dataDir, 'agent.db')).lastSeq);
  }, 60_000);

  it('read-only data dir: the agent refuses to start with a clear error (no store, no work); writable again → it starts and takes work', async () => {
    const d = disk(32);
    const real = d.dir('agent');
    const machineId = randomUUID();
    const options = (dataDir: string): AgentOptions => ({
      orchestratorUrls: ['http://127.0.0.1:9'],
      credentials: scriptedCredentials(machineId),
      dataDir,
      capacity: 1,
      sessionUsers: [],
      attendedMode: false,
      logger: e2eLogger('ro'),
      minFreeBytes: MiB,
    });
    const first = new Agent(options(real));
    first.start();
    await first.stop();
    const view = d.bindReadOnly(real);
    cleanups.push(() => view.dispose());
    const ro = new Agent(options(view.path));
    let refusal = '';
    try {
      ro.start();
    } catch (err) {
      refusal = (err as Error).message;
    }
    expect(refusal).toMatch(/cannot open the local store .*not writable \(EROFS\)/);
    console.log(`read-only data dir: Agent.start() refused: "${refusal}"`);
    view.setWritable(true);
    const rw = new Agent(options(view.path));
    rw.start();
    cleanups.push(() => rw.stop());
    expect(rw.state().scheduling.storageOk).toBe(true);
  }, 30_000);

  it('with the real orchestrator: a full agent is skipped (session Waiting with a queue reason), another machine takes it; space back → the first takes work again', async () => {
    const orch = await startApiOrchestrator();
    cleanups.push(() => orch.close());
    const groupId = await createGroup(orch, 'disk');
    const workflowId = await createFixtureWorkflow(orch, 'lines.mjs');
    const d = disk(48);
    const full = await startApiAgent(orch, { group: 'disk', name: 'full', dataDir: d.dir('agent'), minFreeBytes: 16 * MiB });
    cleanups.push(() => full.agent.stop());
    d.fill(8 * MiB);
    await waitFor(() => full.agent.state().scheduling.storageOk === false || undefined, { what: 'storageOk=false' });
    const waiting = await runFlow(orch, workflowId, { machineGroupId: groupId, inputs: { lines: 3 } });
    // An offer may cross the agent's next `state` frame: then the agent rejects it (StorageUnavailable) and the
    // queue cools it down; once the state arrives the machine is skipped with the reason below.
    const row = await waitFor(async () => {
      const r = await getSession(orch, waiting);
      return r['queuereason'] === 'MachinesPausedOrDraining' ? r : undefined;
    }, { what: 'the queue reason MachinesPausedOrDraining' });
    expect(Number(row['statuscode'])).toBe(3);
    expect(row['_machineid_value'] ?? null).toBeNull();

    const other = await startApiAgent(orch, { group: 'disk', name: 'other' });
    cleanups.push(() => other.dispose());
    const ran = await waitForSessionEnd(orch, waiting, 20_000);
    expect(Number(ran['statuscode'])).toBe(4);
    expect(ran['_machineid_value']).toBe(other.machineId);
    await other.agent.stop();

    d.unfill();
    const next = await runFlow(orch, workflowId, { machineGroupId: groupId, inputs: { lines: 3 } });
    const done = await waitForSessionEnd(orch, next, 20_000);
    expect(Number(done['statuscode'])).toBe(4);
    expect(done['_machineid_value']).toBe(full.machineId);
    expect(done['errorcode'] ?? null).toBeNull();
  }, 60_000);
});
