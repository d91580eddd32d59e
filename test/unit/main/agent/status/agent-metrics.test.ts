import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentMetrics } from '../../../../../main/agent/status/agent-metrics.js';
import type { AgentSessionView } from '../../../../../main/agent/agent-state.js';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import type { Sample } from '../../../../../shared/protocol.js';
import { makeAssign } from '../../../../support/agent-assign.js';
import { sampleValue } from '../../../../support/prometheus.js';
import { tempDir } from '../../../../support/temp-dir.js';
import { FakeStatusAgent } from './status-fakes.js';

let store: AgentStore;
let clock: Date;
let agent: FakeStatusAgent;
let metrics: AgentMetrics;

beforeEach(() => {
  clock = new Date('2030-01-01T00:00:00.000Z');
  store = AgentStore.open(join(tempDir('flowhost-agent-metrics-'), 'agent.db'), { now: () => clock });
  agent = new FakeStatusAgent();
  metrics = new AgentMetrics({ agent, store, now: () => clock });
});
afterEach(() => store.close());

const text = async () => (await metrics.exposition()).body;
const sample = (over: Partial<Sample>): Sample => ({ at: clock.toISOString(), machineCpuPercent: 10, machineRamUsedMb: 100, machineRamPercent: 5, ...over });

function running(name: string): AgentSessionView {
  const a = makeAssign({});
  store.recordAssignment(a);
  store.markConfirmed(a.session.flowsessionid);
  store.markRunning(a.session.flowsessionid, { startedon: clock.toISOString() });
  return { sessionId: a.session.flowsessionid, name, stage: 'running', statuscode: 2, runmode: 2, acceptedon: clock.toISOString() };
}

describe('AgentMetrics', () => {
  it('replay lag is the age of the oldest event the orchestrator has not acknowledged, 0 once all are', async () => {
    expect(sampleValue(await text(), 'flowhost_agent_replay_lag_seconds')).toBe(0);
    running('flow');
    clock = new Date(clock.getTime() + 90_000);
    running('later');
    expect(sampleValue(await text(), 'flowhost_agent_replay_lag_seconds')).toBe(90);
    store.ackUpTo(store.lastSeq());
    expect(sampleValue(await text(), 'flowhost_agent_replay_lag_seconds')).toBe(0);
  });

  it("a running session's CPU and memory come from its newest sample: a live one first, else the last stored", async () => {
    const s = running('nightly report');
    store.appendSamples(s.sessionId, [sample({ processCpuPercent: 12.5, processRssMb: 20 })]);
    agent.change({ sessions: [s] });
    const stored = await text();
    expect(sampleValue(stored, 'flowhost_agent_session_cpu_percent', { session: s.sessionId, flow: 'nightly report' })).toBe(12.5);
    expect(sampleValue(stored, 'flowhost_agent_session_memory_bytes', { session: s.sessionId })).toBe(20 * 1024 * 1024);
    agent.change({ sessions: [{ ...s, live: [sample({ processCpuPercent: 150, processRssMb: 1.5 })] }] });
    const live = await text();
    expect(sampleValue(live, 'flowhost_agent_session_cpu_percent', { session: s.sessionId })).toBe(150);
    expect(sampleValue(live, 'flowhost_agent_session_memory_bytes', { session: s.sessionId })).toBe(1.5 * 1024 * 1024);
    expect(sampleValue(live, 'flowhost_agent_sessions', { stage: 'running' })).toBe(1);
    agent.change({ sessions: [] });
    expect(sampleValue(await text(), 'flowhost_agent_session_cpu_percent', { session: s.sessionId })).toBeUndefined();
  });

  it('slots, backlog, connection and pause come from the snapshot', async () => {
    agent.change({ scheduling: { ...agent.snap.scheduling, capacity: 4, freeSlots: 1, draining: true }, backlog: { events: 7, callbacks: 2 }, connection: { status: 'disconnected', orchestratorUrl: 'http://x' } });
    const t = await text();
    expect(sampleValue(t, 'flowhost_agent_slots', { state: 'capacity' })).toBe(4);
    expect(sampleValue(t, 'flowhost_agent_slots', { state: 'free' })).toBe(1);
    expect(sampleValue(t, 'flowhost_agent_outbox_events')).toBe(7);
    expect(sampleValue(t, 'flowhost_agent_callback_backlog')).toBe(2);
    expect(sampleValue(t, 'flowhost_agent_connected')).toBe(0);
    expect(sampleValue(t, 'flowhost_agent_paused')).toBe(1);
  });
});
