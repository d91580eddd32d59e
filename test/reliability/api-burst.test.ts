import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startRealAgent, type RealAgent } from '../support/real-agent.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { OrchestratorProcess } from '../support/orchestrator-process.js';
import { histogram } from './support/hostile-api.js';

/**
 * A burst of 10,000 Web API requests (100 in flight, keep-alive) against the real orchestrator in a child process:
 * collection GETs with $filter, GETs by id, session creation (RunDesktopFlow), bad bodies, bad filters, missing
 * token, unknown ids. Every answer has the status its kind calls for; the orchestrator's RSS (sampled every 100 ms)
 * is printed; a real agent runs a session queued during the burst and another one after it.
 */
const TOKEN = 'burst-admin-token-0123456789';
const PASSWORD = 'group-password-1';
const TOTAL = 10_000;
const IN_FLIGHT = 100;
const NONEXISTENT = '0b5c8a4e-9f3d-4c1a-8e2b-7d6f5a4c3b21';

let orch: OrchestratorProcess | undefined;
let agent: RealAgent | undefined;
afterEach(async () => {
  await agent?.dispose();
  await orch?.stop();
  agent = undefined;
  orch = undefined;
});

interface Kind {
  readonly name: string;
  readonly expect: number;
  readonly method: string;
  path(): string;
  readonly body?: string;
  readonly auth?: false;
}

function send(pool: HttpAgent, url: string, kind: Kind): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (kind.auth !== false) headers['authorization'] = `Bearer ${TOKEN}`;
    if (kind.body !== undefined) headers['content-type'] = 'application/json';
    const req = httpRequest(`${url}/api/data/v9.2/${kind.path()}`, { method: kind.method, headers, agent: pool }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(kind.body);
  });
}

async function runSession(o: OrchestratorProcess, workflowId: string, groupId: string): Promise<string> {
  const res = await o.api('POST', `workflows(${workflowId})/Microsoft.Dynamics.CRM.RunDesktopFlow`, { runMode: 'unattended', machineGroupId: groupId });
  expect(res.status, res.text).toBe(200);
  return String(res.json.flowsessionId);
}

const statusOf = async (o: OrchestratorProcess, id: string): Promise<number> => Number((await o.api('GET', `flowsessions(${id})?$select=statuscode`)).json?.statuscode);

describe('hostile input: a burst of 10,000 API requests', () => {
  it(`${TOTAL} mixed requests, ${IN_FLIGHT} in flight: right statuses (orchestrator RSS printed), a good agent keeps running sessions`, async () => {
    orch = await OrchestratorProcess.start({ dataDir: tempDir('flowhost-burst-'), adminToken: TOKEN, gateway: { heartbeatIntervalMs: 500 } });
    const o = orch;
    const created = async (set: string, body: unknown): Promise<string> => {
      const res = await o.api('POST', set, body, { prefer: 'return=representation' });
      expect(res.status, res.text).toBe(201);
      return String(res.json[`${set.slice(0, -1)}id`]);
    };
    const group = await created('flowmachinegroups', { name: 'workers', password: PASSWORD });
    // Sessions created by the burst go to a group without machines: they wait, the worker stays free for the probes.
    const parked = await created('flowmachinegroups', { name: 'parked', password: PASSWORD });
    const workflow = await created('workflows', { name: 'hello', clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: [process.execPath, '-e', 'console.log("hi")'] }) });
    agent = await startRealAgent(o.url, { group: 'workers', groupPassword: PASSWORD, name: 'worker' });

    const collection: Kind[] = [
      { name: 'GET collection $filter', expect: 200, method: 'GET', path: () => `flowsessions?$filter=statuscode%20eq%203%20and%20priority%20ge%200&$select=name,statuscode&$top=50` },
      { name: 'GET collection $filter', expect: 200, method: 'GET', path: () => `workflows?$filter=contains(name,'hel')&$count=true` },
    ];
    const byId: Kind[] = [
      { name: 'GET by id', expect: 200, method: 'GET', path: () => `workflows(${workflow})` },
      { name: 'GET by id', expect: 200, method: 'GET', path: () => `flowmachinegroups(${group})?$select=name` },
    ];
    const create: Kind[] = [
      { name: 'POST RunDesktopFlow', expect: 200, method: 'POST', path: () => `workflows(${workflow})/Microsoft.Dynamics.CRM.RunDesktopFlow`, body: JSON.stringify({ runMode: 'unattended', machineGroupId: parked }) },
      { name: 'POST flowsessions', expect: 204, method: 'POST', path: () => 'flowsessions', body: JSON.stringify({ _regardingobjectid_value: workflow, _machinegroupid_value: parked }) },
    ];
    const bad: Kind[] = [
      { name: 'bad body', expect: 400, method: 'POST', path: () => 'flowsessions', body: JSON.stringify({ _regardingobjectid_value: workflow, colour: 'red' }) },
      { name: 'bad $filter', expect: 400, method: 'GET', path: () => `flowsessions?$filter=priority%20eq%20'` },
      { name: 'no token', expect: 401, method: 'GET', path: () => 'flowsessions', auth: false },
      { name: 'unknown id', expect: 404, method: 'GET', path: () => `workflows(${NONEXISTENT})` },
    ];
    // Per 20 requests: 8 collection GETs, 6 GETs by id, 1 session creation (each is an fsync'd commit), 5 bad ones.
    const kinds: Kind[] = [...collection, ...collection, ...collection, ...collection, ...byId, ...byId, ...byId, ...bad, bad[0]!, create[0]!];
    const CREATES = TOTAL / kinds.length;

    const rssBefore = o.rss();
    let rssMax = rssBefore;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, o.rss())), 100);
    const pool = new HttpAgent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const wrong: string[] = [];
    const statuses: number[] = [];
    const latencies: number[] = [];
    let next = 0;
    const t0 = Date.now();
    const duringBurst = runSession(o, workflow, group);
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < TOTAL) {
          const i = next++;
          // The creation slot alternates between RunDesktopFlow and POST flowsessions.
          const kind = i % kinds.length === kinds.length - 1 ? create[Math.floor(i / kinds.length) % 2]! : kinds[i % kinds.length]!;
          const start = performance.now();
          const status = await send(pool, o.url, kind);
          latencies.push(performance.now() - start);
          statuses.push(status);
          if (status !== kind.expect) wrong.push(`${kind.name}: ${status} (expected ${kind.expect})`);
        }
      }),
    );
    const burstMs = Date.now() - t0;
    clearInterval(sampler);
    pool.destroy();

    expect(wrong.slice(0, 10)).toEqual([]);
    expect(statuses).toHaveLength(TOTAL);
    const probeId = await duringBurst;
    await waitFor(async () => (await statusOf(o, probeId)) === 4, { what: 'the session queued during the burst to succeed', timeoutMs: 20_000 });
    const afterId = await runSession(o, workflow, group);
    await waitFor(async () => (await statusOf(o, afterId)) === 4, { what: 'the session queued after the burst to succeed', timeoutMs: 20_000 });
    const created2 = Number((await o.api('GET', `flowsessions/$count?$filter=_machinegroupid_value%20eq%20${parked}`)).text);
    expect(created2).toBe(CREATES);
    expect(o.alive).toBe(true);

    const sorted = [...latencies].sort((a, b) => a - b);
    const p = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * q) / 100))]!);
    const grewMb = Math.round((rssMax - rssBefore) / 1_048_576);
    console.log(
      `API burst: ${TOTAL} requests, ${IN_FLIGHT} in flight, in ${burstMs} ms (${Math.round((TOTAL * 1000) / burstMs)} req/s); statuses ${JSON.stringify(histogram(statuses))}, 0 wrong; ` +
        `latency p50 ${p(50)} ms, p99 ${p(99)} ms, max ${p(100)} ms; orchestrator RSS ${Math.round(rssBefore / 1_048_576)} → max ${Math.round(rssMax / 1_048_576)} MB (+${grewMb} MB); ` +
        `${created2} sessions created and stored; the agent ran a session queued during the burst and one after it (both Succeeded)`,
    );
  }, 90_000);
});
