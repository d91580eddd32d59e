import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startStatusServer } from '../../main/agent/status/status-server.js';
import { readStatusToken } from '../../main/agent/status/status-token.js';
import { METRICS_TOKEN_FILE } from '../../node-shared/metrics.js';
import { startCallbackReceiver } from '../support/callback-receiver.js';
import { createFixtureWorkflow, createGroup, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd } from '../support/api-harness.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import type { TestOrchestrator } from '../support/orchestrator-harness.js';
import { hasPrometheus, hasPromtool, promtoolCheck, sampleValue, scrape, startPrometheus } from '../support/prometheus.js';
import { skipUnless } from '../support/requirements.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';

const metricsToken = (dataDir: string) => readFileSync(join(dataDir, METRICS_TOKEN_FILE), 'utf8').trim();
const mode = (file: string) => statSync(file).mode & 0o777;

/** The exposition passes the real `promtool check metrics` (format and naming lint), where promtool is installed. */
function expectPromtoolClean(text: string): void {
  if (skipUnless(hasPromtool, 'promtool (Debian package prometheus)')) return;
  expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
}

async function orchestratorScrape(o: TestOrchestrator): Promise<string> {
  const res = await scrape(o.url, metricsToken(o.dataDir));
  expect(res.status, res.text).toBe(200);
  expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
}

describe('e2e: /metrics of the orchestrator and of the agent, scraped as Prometheus would', () => {
  it('the queue depth moves as sessions are queued through the Web API and then run by a real agent', async () => {
    const o = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(o, 'metrics');
    const wf = await createFixtureWorkflow(o, 'lines.mjs');
    expect(sampleValue(await orchestratorScrape(o), 'flowhost_queue_depth', { group: g })).toBeUndefined();

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await runFlow(o, wf, { machineGroupId: g, inputs: { lines: 1 } }));
    const queued = await orchestratorScrape(o);
    expect(sampleValue(queued, 'flowhost_queue_depth', { group: g })).toBe(3);
    expect(sampleValue(queued, 'flowhost_sessions', { status: 'Waiting' })).toBe(3);
    expect(sampleValue(queued, 'flowhost_queue_oldest_wait_seconds', { group: g })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(queued, 'flowhost_agents_connected')).toBe(0);
    expectPromtoolClean(queued);

    disposeAfterTest(await startApiAgent(o, { group: 'metrics', name: 'scraped', capacity: 3 }));
    for (const id of ids) expect((await waitForSessionEnd(o, id))['statuscode']).toBe(4);
    const ran = await orchestratorScrape(o);
    expect(sampleValue(ran, 'flowhost_queue_depth', { group: g })).toBe(0);
    expect(sampleValue(ran, 'flowhost_sessions', { status: 'Waiting' })).toBe(0);
    expect(sampleValue(ran, 'flowhost_sessions', { status: 'Running' })).toBe(0);
    expect(sampleValue(ran, 'flowhost_sessions_ended_total', { status: 'Succeeded' })).toBe(3);
    expect(sampleValue(ran, 'flowhost_session_wait_seconds_count')).toBe(3);
    expect(sampleValue(ran, 'flowhost_session_dispatch_seconds_count')).toBe(3);
    expect(sampleValue(ran, 'flowhost_agents_connected')).toBe(1);
    expect(sampleValue(ran, 'flowhost_agent_slots', { state: 'capacity' })).toBe(3);
    const runs = { method: 'POST', route: '/api/data/v9.2/workflows({id})/RunDesktopFlow', code: '200' };
    expect(sampleValue(ran, 'flowhost_api_request_duration_seconds_count', runs)).toBe(3);
    expectPromtoolClean(ran);
  });

  it("the agent's status endpoint shows its running session's slot, CPU and memory, and drops them once it ends", async () => {
    const o = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(o, 'agent-metrics');
    const a = disposeAfterTest(await startApiAgent(o, { group: 'agent-metrics', name: 'sampled', capacity: 2 }));
    const status = disposeAfterTest(await startStatusServer({ agent: a.agent, dataDir: a.dataDir }));
    const token = metricsToken(a.dataDir);
    const agentScrape = async () => {
      const res = await scrape(status.url, token);
      expect(res.status, res.text).toBe(200);
      return res.text;
    };
    const id = await runFlow(o, await createFixtureWorkflow(o, 'ticker.mjs'), { machineGroupId: g, inputs: { everyMs: 50 } });
    const running = await waitFor(
      async () => {
        const text = await agentScrape();
        return sampleValue(text, 'flowhost_agent_session_memory_bytes', { session: id }) !== undefined ? text : undefined;
      },
      { what: "the running session's memory in the agent's scrape", timeoutMs: 15_000 },
    );
    expect(sampleValue(running, 'flowhost_agent_sessions', { stage: 'running' })).toBe(1);
    expect(sampleValue(running, 'flowhost_agent_slots', { state: 'capacity' })).toBe(2);
    expect(sampleValue(running, 'flowhost_agent_slots', { state: 'free' })).toBe(1);
    expect(sampleValue(running, 'flowhost_agent_session_memory_bytes', { session: id, flow: 'ticker.mjs' })).toBeGreaterThan(1024 * 1024);
    expect(sampleValue(running, 'flowhost_agent_session_cpu_percent', { session: id })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(running, 'flowhost_agent_outbox_events')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(running, 'flowhost_agent_replay_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(running, 'flowhost_agent_connected')).toBe(1);
    expectPromtoolClean(running);
    // The orchestrator's view of the same run: the session Running, the machine's slot taken.
    await waitFor(
      async () => {
        const text = await orchestratorScrape(o);
        return sampleValue(text, 'flowhost_sessions', { status: 'Running' }) === 1 && sampleValue(text, 'flowhost_agent_slots', { state: 'free' }) === 1;
      },
      { what: 'the orchestrator to show the session Running on a machine with one free slot' },
    );

    expect((await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`)).status).toBe(204);
    await waitForSessionEnd(o, id);
    const ended = await waitFor(
      async () => {
        const text = await agentScrape();
        return sampleValue(text, 'flowhost_agent_sessions', { stage: 'running' }) === 0 ? text : undefined;
      },
      { what: 'no running session in the agent scrape' },
    );
    expect(sampleValue(ended, 'flowhost_agent_session_memory_bytes', { session: id })).toBeUndefined();
    expect(sampleValue(ended, 'flowhost_agent_slots', { state: 'free' })).toBe(2);
  });

  it('counts the callback backlog, sessions ended and background operations as the runners work', async () => {
    const o = disposeAfterTest(await startApiOrchestrator());
    let accept = false;
    const receiver = disposeAfterTest(await startCallbackReceiver(() => (accept ? 200 : 503)));
    const g = await createGroup(o, 'callbacks');
    const id = await runFlow(o, await createFixtureWorkflow(o, 'lines.mjs'), { machineGroupId: g, callbackUrl: receiver.url() });
    // No machine: cancelled while waiting, so the orchestrator itself owes the callback, and the receiver refuses it.
    expect((await o.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`)).status).toBe(204);
    await waitFor(() => receiver.requests.length >= 1, { what: 'the first callback attempt' });
    const owed = await orchestratorScrape(o);
    expect(sampleValue(owed, 'flowhost_callback_backlog')).toBe(1);
    expect(sampleValue(owed, 'flowhost_background_operations', { kind: 'callback' })).toBe(1);
    expect(sampleValue(owed, 'flowhost_sessions_ended_total', { status: 'Cancelled' })).toBe(1);
    expect(sampleValue(owed, 'flowhost_sessions', { status: 'Waiting' })).toBe(0);
    accept = true;
    const delivered = await waitFor(
      async () => {
        const text = await orchestratorScrape(o);
        return sampleValue(text, 'flowhost_background_operations_completed_total', { kind: 'callback', status: 'Succeeded' }) === 1 ? text : undefined;
      },
      { what: 'the callback delivered' },
    );
    expect(sampleValue(delivered, 'flowhost_callback_backlog')).toBe(0);

    // A respond-async bulk write whose target is invalid: it completes Failed.
    const bulk = await o.api('POST', 'workflows/Microsoft.Dynamics.CRM.CreateMultiple', { Targets: [{ name: 'no clientdata' }] }, { prefer: 'respond-async' });
    expect(bulk.status).toBe(202);
    const bulkDone = await waitFor(
      async () => {
        const text = await orchestratorScrape(o);
        return sampleValue(text, 'flowhost_background_operations_completed_total', { kind: 'bulk', status: 'Failed' }) === 1 ? text : undefined;
      },
      { what: 'the bulk operation counted' },
    );
    expect(sampleValue(bulkDone, 'flowhost_background_operations_completed_total', { kind: 'bulk', status: 'Succeeded' })).toBe(0);
    expect(sampleValue(bulkDone, 'flowhost_background_operations', { kind: 'bulk' })).toBe(0);
    expectPromtoolClean(delivered);
  });

  it('refuses a scrape without the metrics token, and the metrics token opens nothing else', async () => {
    const o = disposeAfterTest(await startApiOrchestrator());
    const token = metricsToken(o.dataDir);
    expect(mode(join(o.dataDir, METRICS_TOKEN_FILE))).toBe(0o600);
    for (const wrong of [undefined, 'not-the-token', `${token}x`]) {
      const res = await scrape(o.url, wrong);
      expect(res.status).toBe(401);
      expect(res.text).not.toContain('flowhost_');
    }
    expect((await scrape(o.url, token)).status).toBe(200);
    expect((await scrape(o.url, o.token)).status).toBe(200);
    expect((await o.api('GET', 'flowsessions', undefined, { authorization: `Bearer ${token}` })).status).toBe(401);

    await createGroup(o, 'auth');
    const a = disposeAfterTest(await startApiAgent(o, { group: 'auth', name: 'locked' }));
    const status = disposeAfterTest(await startStatusServer({ agent: a.agent, dataDir: a.dataDir }));
    const agentToken = metricsToken(a.dataDir);
    expect(mode(join(a.dataDir, METRICS_TOKEN_FILE))).toBe(0o600);
    expect(agentToken).not.toBe(token);
    for (const wrong of [undefined, token, 'not-the-token']) expect((await scrape(status.url, wrong)).status).toBe(401);
    expect((await scrape(status.url, agentToken)).status).toBe(200);
    expect((await scrape(status.url, readStatusToken(a.dataDir))).status).toBe(200);
    const command = await fetch(`${status.url}/api/commands/agent:pause`, { method: 'POST', headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(command.status).toBe(401);
  });

  it('a real Prometheus scrapes the orchestrator with the token file and its HTTP API returns the series', async () => {
    if (skipUnless(hasPrometheus, 'prometheus (Debian package prometheus)')) return;
    const o = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(o, 'scraped-by-prometheus');
    await runFlow(o, await createFixtureWorkflow(o, 'lines.mjs'), { machineGroupId: g });
    const prometheus = disposeAfterTest(await startPrometheus(tempDir('flowhost-prometheus-'), new URL(o.url).host, join(o.dataDir, METRICS_TOKEN_FILE)));
    const series = await waitFor(
      async () => {
        const result = await prometheus.query(`flowhost_queue_depth{group="${g}"}`);
        return result.length > 0 ? result : undefined;
      },
      { what: 'prometheus to have scraped flowhost_queue_depth', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(series).toHaveLength(1);
    expect(series[0]!.metric).toMatchObject({ __name__: 'flowhost_queue_depth', group: g, job: 'flowhost-orchestrator', program: 'orchestrator' });
    expect(series[0]!.value[1]).toBe('1');
    const up = await prometheus.query('up{job="flowhost-orchestrator"}');
    expect(up.map((r) => r.value[1])).toEqual(['1']);
  });
});
