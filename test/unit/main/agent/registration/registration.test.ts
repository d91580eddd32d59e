import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCredentials, writeCredentials } from '../../../../../main/agent/registration/credentials.js';
import { ensureRegistered } from '../../../../../main/agent/registration/registration.js';

const machineId = '0b0b0b0b-1111-4222-8333-444444444444';
const groupId = '1c1c1c1c-1111-4222-8333-444444444444';
type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let dir: string;
let server: Server;
let base: string;
let handler: Handler;
const requests: { url: string; body: unknown }[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowhost-reg-'));
  requests.length = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ url: req.url ?? '', body: JSON.parse(body) as unknown });
      handler(req, body, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});
afterEach(async () => {
  server.close();
  await once(server, 'close');
  rmSync(dir, { recursive: true, force: true });
});

const ok: Handler = (_req, _body, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ flowmachineid: machineId, flowmachinegroupid: groupId, credential: 'c'.repeat(40), callbackSecret: 's'.repeat(32) }));
};
const options = () => ({ credentialsFile: join(dir, 'data', 'credentials.json'), orchestrator: base, group: 'g1', groupPassword: 'pw-123456', name: 'm1', capacity: 2, agentVersion: '0.1.0' });

describe('registration', () => {
  it('retries while the orchestrator answers 503 (busy), as long as its Retry-After says, then registers', async () => {
    let busy = 2;
    handler = (req, body, res) => {
      if (busy-- > 0) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end(JSON.stringify({ error: { code: 'Busy', message: 'too many registrations are being checked' } }));
      } else ok(req, body, res);
    };
    expect((await ensureRegistered(options())).registered).toBe(true);
    expect(requests).toHaveLength(3);
  });

  it('gives up after 5 answers of 503 and says so', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(503, { 'retry-after': '0' });
      res.end();
    };
    await expect(ensureRegistered(options())).rejects.toThrow('registration failed with HTTP 503');
    expect(requests).toHaveLength(5);
  });

  it('registers on first start, stores the credential 0600, and reuses it later without the password', async () => {
    handler = ok;
    const first = await ensureRegistered(options());
    expect(first.registered).toBe(true);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe('/agent/v1/register');
    expect(requests[0]?.body).toMatchObject({ group: 'g1', password: 'pw-123456', name: 'm1', capacity: 2 });
    const file = options().credentialsFile;
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readCredentials(file)).toMatchObject({ flowmachineid: machineId, callbackSecret: 's'.repeat(32), group: 'g1' });
    expect(readdirSync(join(dir, 'data')).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const second = await ensureRegistered({ ...options(), groupPassword: undefined, group: undefined });
    expect(second.registered).toBe(false);
    expect(second.credentials.flowmachineid).toBe(machineId);
    expect(requests).toHaveLength(1);
  });

  it('says what is missing on a first start without orchestrator/group/password', async () => {
    await expect(ensureRegistered({ ...options(), groupPassword: undefined, group: undefined })).rejects.toThrow(/--group, --group-password-file \(or --group-password\) required for the first start/);
  });

  it('explains 401, 429 and an unreachable orchestrator', async () => {
    handler = (_r, _b, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'Unauthorized', message: 'bad password' } }));
    };
    await expect(ensureRegistered(options())).rejects.toThrow(/wrong group name or group password for group 'g1' \(bad password\)/);
    handler = (_r, _b, res) => {
      res.writeHead(429, { 'retry-after': '60' });
      res.end();
    };
    await expect(ensureRegistered(options())).rejects.toThrow(/too many attempts; retry after 60 s/);
    await expect(ensureRegistered({ ...options(), orchestrator: await closedPortUrl() })).rejects.toThrow(/cannot reach the orchestrator at http:\/\/127\.0\.0\.1:\d+\/agent\/v1\/register: ECONNREFUSED/);
  });

  it('refuses a malformed response and stores nothing', async () => {
    handler = (_r, _b, res) => res.end(JSON.stringify({ flowmachineid: 'nope' }));
    await expect(ensureRegistered(options())).rejects.toThrow(/unexpected registration response/);
    expect(readCredentials(options().credentialsFile)).toBeUndefined();
  });

  it('registers through the first instance that answers, keeps every instance, and accepts a list naming the same orchestrator later', async () => {
    handler = ok;
    const dead = await closedPortUrl();
    const { credentials } = await ensureRegistered({ ...options(), orchestrator: `${dead}, ${base}` });
    expect(requests).toHaveLength(1);
    expect(credentials.orchestrator).toBe(`${dead}/,${base}/`);
    const later = await ensureRegistered({ ...options(), orchestrator: `${base}/,http://third:1` });
    expect(later).toMatchObject({ registered: false, credentials: { flowmachineid: machineId } });
    await expect(ensureRegistered({ ...options(), orchestrator: 'http://other:1,http://third:1' })).rejects.toThrow(/registered with .* not http:\/\/other:1,http:\/\/third:1/);
  });

  it('says why for each instance when none can be reached, and refuses a bad list before any request', async () => {
    const [a, b] = [await closedPortUrl(), await closedPortUrl()];
    await expect(ensureRegistered({ ...options(), orchestrator: `${a},${b}` })).rejects.toThrow(
      /cannot reach the orchestrator at http:\/\/127\.0\.0\.1:\d+\/agent\/v1\/register: ECONNREFUSED; nor at http:\/\/127\.0\.0\.1:\d+\/agent\/v1\/register: ECONNREFUSED/,
    );
    await expect(ensureRegistered({ ...options(), orchestrator: `${base},ftp://h` })).rejects.toThrow(/orchestrator URL ftp:\/\/h must be http\(s\) or ws\(s\)/);
    await expect(ensureRegistered({ ...options(), orchestrator: `http://u:secret@h` })).rejects.toThrow(/must not carry a user or password/);
    await expect(ensureRegistered({ ...options(), orchestrator: Array.from({ length: 9 }, (_, i) => `http://h${i}`).join(',') })).rejects.toThrow(/at most 8/);
    expect(requests).toHaveLength(0);
  });

  it('refuses to reuse credentials of another orchestrator', async () => {
    handler = ok;
    await ensureRegistered(options());
    await expect(ensureRegistered({ ...options(), orchestrator: 'http://other:1' })).rejects.toThrow(/registered with .* not http:\/\/other:1/);
  });
});

describe('credentials file', () => {
  const value = { flowmachineid: machineId, credential: 'c'.repeat(40), callbackSecret: 's'.repeat(32), orchestrator: 'http://x/', group: 'g' };

  it('is written 0600 even when an older file was wider', () => {
    const file = join(dir, 'credentials.json');
    writeFileSync(file, '{}');
    chmodSync(file, 0o644);
    writeCredentials(file, value);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readCredentials(file)).toEqual(value);
  });

  it('a corrupt file is an error that says how to recover', () => {
    const file = join(dir, 'credentials.json');
    writeFileSync(file, '{"flowmachineid": 1}');
    expect(() => readCredentials(file)).toThrow(/is invalid .*remove it to register again/);
  });
});

/** A URL on a port that was free a moment ago: nothing listens there. */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  s.close();
  await once(s, 'close');
  return `http://127.0.0.1:${port}`;
}
