import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_TOKEN_FILE } from '../../../../node-shared/metrics.js';
import { freePort } from '../../../support/prometheus.js';

const repo = resolve(import.meta.dirname, '../../../..');
const bin = join(repo, 'bin/flowhost.js');
const credential = 'C'.repeat(48);
const password = 'group-password-4711';
let server: Server;
let base: string;
let registrations = 0;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowhost-agentcli-'));
  // Registration only: the WebSocket upgrade is refused, so the agent keeps reconnecting until it is told to stop.
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/agent/v1/register') {
        registrations += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ flowmachineid: '5e5e5e5e-1111-4222-8333-444444444444', flowmachinegroupid: '6f6f6f6f-1111-4222-8333-444444444444', credential, callbackSecret: 'S'.repeat(32) }));
      } else {
        res.writeHead(404).end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `flowhost agent`, waits until it says it started, sends SIGTERM and returns its exit code and output. */
async function runUntilStarted(args: string[], whileRunning?: () => Promise<void>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [bin, 'agent', ...args], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const started = new Promise<void>((ok, fail) => {
    const onData = (c: Buffer) => {
      output += c.toString();
      if (/agent \S+ started/.test(output) && /status page (on|not started)/.test(output)) ok();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => fail(new Error(`agent exited (${code}) before it started:\n${output}`)));
  });
  await started;
  await whileRunning?.();
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.kill('SIGTERM');
  const [code] = await exited;
  return { code, output };
}

describe('flowhost agent (real child process)', () => {
  it('registers on first start, drains and exits 0 on SIGTERM; the second start reuses the credential and serves its status page', async () => {
    const data = join(dir, 'data');
    const first = await runUntilStarted(['--orchestrator', base, '--group', 'g1', '--group-password', password, '--data-dir', data]);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain('registered as machine 5e5e5e5e-1111-4222-8333-444444444444');
    expect(registrations).toBe(1);
    const creds = join(data, 'credentials.json');
    if (process.platform !== 'win32') expect(statSync(creds).mode & 0o777).toBe(0o600);

    const second = await runUntilStarted(['--data-dir', data], async () => {
      const printed = await new Promise<string>((ok, fail) => {
        const status = spawn(process.execPath, [bin, 'status', '--data-dir', data], { env: { PATH: process.env['PATH'] ?? '' } });
        let out = '';
        status.stdout.on('data', (c: Buffer) => (out += c.toString()));
        status.on('exit', (code) => (code === 0 ? ok(out.trim()) : fail(new Error(`flowhost status exited ${code}: ${out}`))));
      });
      const page = new URL(printed);
      expect(page.hostname).toBe('127.0.0.1');
      const token = new URLSearchParams(page.hash.slice(1)).get('token');
      expect(token).toMatch(/^\S{20,}$/);
      const ticket = (auth?: string) => fetch(new URL('/api/stream-ticket', page), { method: 'POST', headers: auth ? { authorization: `Bearer ${auth}` } : {} });
      expect((await ticket(token!)).status).toBe(200);
      expect((await ticket()).status).toBe(401);
      expect((await ticket('wrong-token-of-the-same-shape')).status).toBe(401);
    });
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain('using the credential of machine');
    expect(registrations).toBe(1);

    // A fixed status port (for a scraper), and the agent's /metrics behind its own metrics token.
    const port = await freePort();
    const third = await runUntilStarted(['--data-dir', data, '--status-port', String(port)], async () => {
      const token = readFileSync(join(data, METRICS_TOKEN_FILE), 'utf8').trim();
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^flowhost_agent_slots\{state="capacity",program="agent"\} 1$/m);
    });
    expect(third.code, third.output).toBe(0);

    const log = readFileSync(join(data, 'logs', 'agent.log'), 'utf8');
    expect(log.trim().split('\n').every((l) => JSON.parse(l) !== null)).toBe(true);
    for (const text of [log, first.output, second.output]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(credential);
    }
  });
});
