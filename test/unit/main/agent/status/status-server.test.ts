import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAllowedHost, isLoopbackAddress } from '../../../../../main/agent/status/status-http.js';
import { startStatusServer, type RunningStatusServer } from '../../../../../main/agent/status/status-server.js';
import { readStatusEndpoint, readStatusToken } from '../../../../../main/agent/status/status-token.js';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { StatusSnapshot } from '../../../../../shared/status.js';
import { validator } from '../../../../../shared/validate.js';
import { waitFor } from '../../../../support/wait-for.js';
import { FakeStatusAgent } from './status-fakes.js';

let dataDir: string;
let store: AgentStore;
let agent: FakeStatusAgent;
let server: RunningStatusServer;
let token: string;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'flowhost-status-'));
  store = AgentStore.open(join(dataDir, 'agent.db'));
  agent = new FakeStatusAgent();
  server = await startStatusServer({ agent, dataDir, store });
  token = readStatusToken(dataDir) as string;
});
afterEach(async () => {
  await server.close();
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const command = (name: string, body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${token}` }) =>
  fetch(`${server.url}/api/commands/${name}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** Opens an event stream and yields each event's parsed data, in order. */
function openStream(path: string): Promise<{ res: IncomingMessage; next: () => Promise<{ event: string; data: unknown }>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, (res) => {
      const queue: { event: string; data: unknown }[] = [];
      const waiters: ((e: { event: string; data: unknown }) => void)[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === undefined || data === undefined) continue;
          const item = { event, data: JSON.parse(data) as unknown };
          const waiter = waiters.shift();
          if (waiter) waiter(item);
          else queue.push(item);
        }
      });
      const next = () => new Promise<{ event: string; data: unknown }>((r) => (queue.length > 0 ? r(queue.shift()!) : waiters.push(r)));
      resolve({ res, next, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('status endpoint: token', () => {
  it('keeps a random token in <dataDir>/status-token with mode 0600 and reuses it', async () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    if (process.platform !== 'win32') expect(statSync(join(dataDir, 'status-token')).mode & 0o777).toBe(0o600);
    expect(server.pageUrl).toBe(`${server.url}/#token=${token}`);
    expect(readStatusEndpoint(dataDir)?.url).toBe(server.url);
    await server.close();
    server = await startStatusServer({ agent, dataDir, store });
    expect(readStatusToken(dataDir)).toBe(token);
  });

  it('answers every API request without the right token with 401 and nothing else', async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer wrong-token' }, { Authorization: `Basic ${token}` }];
    for (const headers of attempts) {
      const res = await command('status:get', {}, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized' });
    }
    for (const path of ['/api/stream-ticket', '/api/commands/agent:pause', '/api/nope']) {
      const res = await fetch(`${server.url}${path}`, { method: 'POST' });
      expect(res.status).toBe(401);
    }
    const stream = await fetch(`${server.url}/api/events`);
    expect(stream.status).toBe(401);
    expect(await fetch(`${server.url}/api/events?ticket=made-up`).then((r) => r.status)).toBe(401);
    expect(agent.calls).toEqual([]);
  });

  it('answers with the snapshot of the shared schema when the token is right', async () => {
    const res = await command('status:get', {});
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; value: unknown };
    expect(body.ok).toBe(true);
    const snapshot = validator(StatusSnapshot).parse(body.value);
    expect(snapshot.backlog).toEqual({ events: 3, callbacks: 1 });
    expect(snapshot.connection.status).toBe('connected');
  });
});

describe('status endpoint: loopback only', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) {
      const port = new URL(server.url).port;
      await expect(fetch(`http://${external.address}:${port}/`)).rejects.toThrow();
    }
  });

  it('classifies peer addresses and Host names', () => {
    expect(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).toEqual([true, true, true, true]);
    expect(['10.0.0.1', '::ffff:192.168.1.2', '0.0.0.0', '::', undefined, 'fe80::1'].map(isLoopbackAddress)).toEqual([false, false, false, false, false, false]);
    expect(isAllowedHost('127.0.0.1:4000', 4000)).toBe(true);
    expect(isAllowedHost('localhost:4000', 4000)).toBe(true);
    expect(isAllowedHost('evil.example:4000', 4000)).toBe(false);
    expect(isAllowedHost('127.0.0.1:4001', 4000)).toBe(false);
  });

  it('refuses a foreign Host (DNS rebinding) and cross-origin requests, even with the token', async () => {
    const port = Number(new URL(server.url).port);
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/api/commands/status:get', method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...headers } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{}');
      });
    expect(await status({ Host: `rebind.example:${port}` })).toBe(403);
    expect(await status({ Origin: 'http://evil.example' })).toBe(403);
    expect(await status({ Origin: `http://127.0.0.1:${port}` })).toBe(200);
  });
});

describe('status endpoint: the page', () => {
  it('serves the built page with a strict CSP and security headers, and nothing outside it', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await res.text()).toContain('<script type="module" src="app.js">');
    expect((await fetch(`${server.url}/app.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    for (const path of ['/../package.json', '/build-meta.json', '/%2e%2e/package.json', '/main.ts']) expect((await fetch(`${server.url}${path}`)).status).toBe(404);
  });
});

describe('status endpoint: commands', () => {
  it('validates every command with the shared schema before it reaches the agent', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['agent:pause', { minutes: 0 }, 400, /minutes must be >= 1/],
      ['agent:pause', { minutes: '60' }, 400, /minutes must be integer/],
      ['agent:pause', { until: 'never' }, 400, /unknown property 'until'/],
      ['attended:set', {}, 400, /missing required property 'on'/],
      ['session:log-tail', { sessionId: '' }, 400, /sessionId/],
      ['machine:format-disk', {}, 404, /unknown command 'machine:format-disk'/],
    ];
    for (const [name, body, status, message] of cases) {
      const res = await command(name, body);
      expect(res.status, name).toBe(status);
      const result = (await res.json()) as { ok: boolean; error: string };
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(message);
    }
    const notJson = await fetch(`${server.url}/api/commands/agent:pause`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' }, body: '{}' });
    expect(notJson.status).toBe(415);
    const broken = await fetch(`${server.url}/api/commands/agent:pause`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{' });
    expect(broken.status).toBe(400);
    expect(agent.calls).toEqual([]);
  });

  it('pauses for an hour, resumes and sets attended mode, answering with the new snapshot', async () => {
    const before = Date.now();
    const paused = (await (await command('agent:pause', { minutes: 60 })).json()) as { value: StatusSnapshot };
    expect(paused.value.scheduling.paused).toBe(true);
    const until = Date.parse(paused.value.scheduling.pausedUntil ?? '');
    expect(until).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(until).toBeLessThan(Date.now() + 3_600_000 + 1000);
    const resumed = (await (await command('agent:resume', {})).json()) as { value: StatusSnapshot };
    expect(resumed.value.scheduling.paused).toBe(false);
    const attended = (await (await command('attended:set', { on: true })).json()) as { value: StatusSnapshot };
    expect(attended.value.attendedMode).toBe(true);
    expect(agent.calls).toEqual([expect.stringMatching(/^pause \d{4}-/), 'resume', 'attended true']);
  });
});

describe('status endpoint: event stream', () => {
  it('sends the snapshot on open and again after a change; a ticket admits one stream only', async () => {
    const ticketRes = await fetch(`${server.url}/api/stream-ticket`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' });
    const { ticket } = (await ticketRes.json()) as { ticket: string };
    const stream = await openStream(`/api/events?ticket=${ticket}`);
    try {
      expect(stream.res.statusCode).toBe(200);
      expect(stream.res.headers['content-type']).toMatch(/^text\/event-stream/);
      const first = await stream.next();
      expect(first.event).toBe('status:changed');
      expect(validator(StatusSnapshot).parse(first.data).scheduling.paused).toBe(false);
      agent.change({ backlog: { events: 0, callbacks: 0 }, scheduling: { ...agent.snap.scheduling, paused: true } });
      const second = validator(StatusSnapshot).parse((await stream.next()).data);
      expect(second.scheduling.paused).toBe(true);
      expect(second.backlog).toEqual({ events: 0, callbacks: 0 });
      expect((await fetch(`${server.url}/api/events?ticket=${ticket}`)).status).toBe(401);
    } finally {
      stream.close();
    }
  });

  it('coalesces a burst of changes into few snapshots and stops listening when the stream closes', async () => {
    const ticket = ((await (await fetch(`${server.url}/api/stream-ticket`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).json()) as { ticket: string }).ticket;
    const stream = await openStream(`/api/events?ticket=${ticket}`);
    await stream.next();
    for (let i = 1; i <= 50; i++) agent.change({ backlog: { events: i, callbacks: 0 } });
    let last = validator(StatusSnapshot).parse((await stream.next()).data);
    let received = 1;
    while (last.backlog.events !== 50) {
      last = validator(StatusSnapshot).parse((await stream.next()).data);
      received++;
    }
    expect(received).toBeLessThanOrEqual(2);
    expect(agent.listenerCount).toBe(1);
    stream.close();
    await new Promise<void>((resolve) => stream.res.once('close', () => resolve()));
    await waitFor(() => agent.listenerCount === 0, { what: 'the closed stream to unsubscribe', timeoutMs: 2000 });
  });
});
