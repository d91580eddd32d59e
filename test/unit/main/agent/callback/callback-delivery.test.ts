import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { CallbackDelivery, type CallbackAttemptOutcome, type CallbackOutbox, type CallbackRow } from '../../../../../main/agent/callback/callback-delivery.js';
import { nodeHmacSha256 } from '../../../../../node-shared/node-hmac.js';
import { deriveCallbackKey, verifyCallback } from '../../../../../shared/callback-signature.js';

/** Just the two outbox methods the worker uses, kept in memory (the SQLite store has its own tests). */
class MemoryOutbox implements CallbackOutbox {
  readonly rows = new Map<string, CallbackRow & { status: 'pending' | 'succeeded' | 'failed'; outcomes: CallbackAttemptOutcome[] }>();
  add(url: string, createdon: Date, ttlinseconds = 3600): string {
    const id = randomUUID();
    const sessionId = randomUUID();
    const body = JSON.stringify({ flowsessionid: sessionId, statuscode: 4, statecode: 0, startedon: null, completedon: createdon.toISOString(), outputs: { n: 'ü' } });
    this.rows.set(id, { backgroundoperationid: id, sessionId, workflowId: WORKFLOW_ID, url, body, retrycount: 0, createdon: createdon.toISOString(), ttlinseconds, nextattempton: createdon.toISOString(), status: 'pending', outcomes: [] });
    return id;
  }
  dueCallbacks(now: Date, limit: number): CallbackRow[] {
    return [...this.rows.values()].filter((r) => r.status === 'pending' && Date.parse(r.nextattempton) <= now.getTime()).slice(0, limit);
  }
  recordCallbackAttempt(id: string, outcome: CallbackAttemptOutcome): void {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no row ${id}`);
    row.outcomes.push(outcome);
    row.retrycount += 1;
    if (outcome.status === 'retry') row.nextattempton = (outcome.nextAttemptAt ?? new Date()).toISOString();
    else row.status = outcome.status;
  }
  get(id: string) {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no row ${id}`);
    return row;
  }
}

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The simulated clock when it arrived. */
  at: Date;
}

const groupSecret = 'callback-secret-0123456789';
const WORKFLOW_ID = '5d1c2a8e-1f0b-4c1e-9a43-2f0d6c7b8a91';
const machineId = '0b9a3c52-52c4-4f4e-9d1a-0c6a9f4c1e22';
const signing = { signer: machineId, key: () => deriveCallbackKey(groupSecret, machineId, nodeHmacSha256) };
const logger = winston.createLogger({ silent: true });
let server: Server;
let base: string;
let received: Received[];
let answers: ((res: ServerResponse) => void)[];
let clock: Date;
let outbox: MemoryOutbox;

const status = (code: number, headers: Record<string, string> = {}) => (res: ServerResponse) => {
  res.writeHead(code, headers);
  res.end('{}');
};

beforeEach(async () => {
  received = [];
  answers = [];
  clock = new Date('2026-01-01T00:00:00Z');
  outbox = new MemoryOutbox();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks), at: clock });
      (answers.shift() ?? status(200))(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

const worker = (extra: Partial<ConstructorParameters<typeof CallbackDelivery>[0]> = {}) =>
  new CallbackDelivery({ store: outbox, signing, policy: { allow: ['127.0.0.1'] }, logger, now: () => clock, random: () => 0.5, ...extra });

/** Runs passes, moving the simulated clock to each row's next attempt, until the row is settled. */
async function settle(delivery: CallbackDelivery, id: string): Promise<void> {
  for (let i = 0; i < 1000 && outbox.get(id).status === 'pending'; i += 1) {
    clock = new Date(Math.max(clock.getTime(), Date.parse(outbox.get(id).nextattempton)));
    await delivery.deliverDue();
  }
}

describe('callback delivery', () => {
  it('503, 503, 200: exactly one success, the same Idempotency-Key and a valid signature on every attempt', async () => {
    answers.push(status(503), status(503), status(200));
    const id = outbox.add(`${base}/hook?x=1`, clock);
    await settle(worker({ baseDelayMs: 20 * 60_000, maxDelayMs: 60 * 60_000 }), id);
    const row = outbox.get(id);
    expect(row.status).toBe('succeeded');
    expect(row.outcomes.map((o) => o.status)).toEqual(['retry', 'retry', 'succeeded']);
    expect(received).toHaveLength(3);
    for (const r of received) {
      expect(r.headers['idempotency-key']).toBe(row.sessionId);
      // The headers Dataverse sends, the same on every attempt.
      expect(r.headers).toMatchObject({
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'EnterpriseConnectors/1.0',
        'x-ms-workflow-id': WORKFLOW_ID,
        'x-ms-run-id': row.sessionId,
      });
      expect(r.body.toString('utf8')).toBe(row.body);
      // Each attempt is signed when it is made (the retries come 5+ minutes apart): each verifies at its arrival.
      const header = String(r.headers['x-flowhost-signature']);
      expect(verifyCallback(header, r.body, { secrets: [groupSecret], nowSeconds: r.at.getTime() / 1000, hmac: nodeHmacSha256 })).toMatchObject({ ok: true, signer: machineId });
    }
    expect(received[2]!.at.getTime() - received[0]!.at.getTime()).toBeGreaterThan(5 * 60_000);
  });

  it('backs off with growing delays between retries', async () => {
    answers.push(status(500), status(502), status(504), status(200));
    const id = outbox.add(`${base}/hook`, clock);
    const delivery = worker({ baseDelayMs: 1000 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const before = clock.getTime();
      await delivery.deliverDue();
      const next = Date.parse(outbox.get(id).nextattempton);
      if (outbox.get(id).status === 'pending') delays.push(next - before);
      clock = new Date(next);
    }
    expect(delays).toEqual([500, 1000, 2000]);
    expect(outbox.get(id).status).toBe('succeeded');
  });

  it('410: one attempt, failed at once', async () => {
    answers.push(status(410));
    const id = outbox.add(`${base}/gone`, clock);
    await settle(worker(), id);
    expect(received).toHaveLength(1);
    expect(outbox.get(id).outcomes).toEqual([{ status: 'failed', httpStatus: 410, error: 'CallbackFailed: HTTP 410' }]);
  });

  it('a redirect is not followed and fails', async () => {
    answers.push(status(302, { location: 'http://169.254.169.254/latest/meta-data' }));
    const id = outbox.add(`${base}/moved`, clock);
    await settle(worker(), id);
    expect(received).toHaveLength(1);
    expect(outbox.get(id).status).toBe('failed');
    expect(outbox.get(id).outcomes[0]?.error).toMatch(/redirect not followed/);
  });

  it('429 honours Retry-After', async () => {
    answers.push(status(429, { 'retry-after': '120' }), status(200));
    const id = outbox.add(`${base}/slow`, clock);
    const delivery = worker();
    await delivery.deliverDue();
    expect(outbox.get(id).nextattempton).toBe(new Date(clock.getTime() + 120_000).toISOString());
    clock = new Date(clock.getTime() + 119_000);
    expect(await delivery.deliverDue()).toBe(0);
    await settle(delivery, id);
    expect(outbox.get(id).status).toBe('succeeded');
    expect(received).toHaveLength(2);
  });

  it('retries a refused connection and a request that times out', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as { port: number }).port;
    closed.close();
    await once(closed, 'close');
    const refusedId = outbox.add(`http://127.0.0.1:${port}/`, clock);
    answers.push(() => undefined); // never answers
    const hangingId = outbox.add(`${base}/hang`, clock);
    await worker({ requestTimeoutMs: 200 }).deliverDue();
    expect(outbox.get(refusedId).outcomes[0]).toMatchObject({ status: 'retry', error: 'ECONNREFUSED' });
    expect(outbox.get(hangingId).outcomes[0]).toMatchObject({ status: 'retry', error: 'timed out after 200 ms' });
  });

  it('gives up when the ttl ends (an hour of simulated retries)', async () => {
    answers.push(...Array.from({ length: 200 }, () => status(503)));
    const created = clock;
    const id = outbox.add(`${base}/down`, clock, 3600);
    await settle(worker({ random: () => 1 }), id);
    const row = outbox.get(id);
    expect(row.status).toBe('failed');
    expect(row.outcomes.at(-1)?.error).toMatch(/CallbackFailed: HTTP 503; ttl of 3600 s ends before the next attempt/);
    expect(clock.getTime() - created.getTime()).toBeLessThanOrEqual(3600_000);
    expect(received.length).toBe(row.outcomes.length);
    expect(received.length).toBeGreaterThan(5);
    expect(received.length).toBeLessThan(30);
  });

  it('fails a row already past its ttl without a request', async () => {
    const id = outbox.add(`${base}/late`, new Date(clock.getTime() - 7200_000), 3600);
    await worker().deliverDue();
    expect(received).toHaveLength(0);
    expect(outbox.get(id).outcomes[0]?.error).toMatch(/ttl of 3600 s expired/);
  });

  it('refused URLs fail with CallbackUrlRefused and never get a request', async () => {
    const port = new URL(base).port;
    const lookups: Record<string, string[]> = { 'rebind.test': ['127.0.0.1'], 'mixed.test': ['93.184.216.34', '169.254.10.10'], 'inner.test': ['10.1.2.3'] };
    const lookupAll = async (host: string) => (lookups[host] ?? []).map((address) => ({ address, family: 4 }));
    const urls = [
      `http://localhost:${port}/`, // loopback, not allow-listed
      `https://127.0.0.2:${port}/`, // loopback, not allow-listed
      `http://example.com/`, // http, not allow-listed
      'https://169.254.169.254/latest/meta-data',
      'https://metadata.google.internal/computeMetadata/v1/',
      `https://rebind.test:${port}/`,
      'https://mixed.test/',
      'https://inner.test/',
      'https://[fe80::1]/',
      'https://[::ffff:169.254.169.254]/', // URL turns it into [::ffff:a9fe:a9fe]
      `https://[::ffff:127.0.0.1]:${port}/`,
      'https://[64:ff9b::a9fe:a9fe]/',
      'https://0.0.0.0/',
      `http://user:pw@127.0.0.1:${port}/`,
      'ftp://example.com/',
      'not a url',
    ];
    const ids = urls.map((u) => outbox.add(u, clock));
    let sent = 0;
    const delivery = worker({ policy: { allow: ['127.0.0.1'], lookupAll }, send: async () => ((sent += 1), { kind: 'response', status: 200 }) });
    while ((await delivery.deliverDue()) > 0);
    expect(sent).toBe(0);
    expect(received).toHaveLength(0);
    for (const [i, id] of ids.entries()) {
      expect(outbox.get(id).status, urls[i]).toBe('failed');
      expect(outbox.get(id).outcomes[0]?.error, urls[i]).toMatch(/^CallbackUrlRefused: /);
    }
  });

  it('connects to the address it checked (pinned), not to a fresh DNS answer', async () => {
    const port = new URL(base).port;
    let calls = 0;
    const lookupAll = async () => ((calls += 1), [{ address: '127.0.0.1', family: 4 }]);
    const id = outbox.add(`http://hooks.example.test:${port}/pinned`, clock);
    await worker({ policy: { allow: ['hooks.example.test'], lookupAll } }).deliverDue();
    expect(calls).toBe(1);
    expect(outbox.get(id).status).toBe('succeeded');
    expect(received[0]?.headers.host).toBe(`hooks.example.test:${port}`);
  });

  it('an unresolvable name is retried, not refused', async () => {
    const id = outbox.add('https://nowhere.test/', clock);
    await worker({ policy: { allow: [], lookupAll: async () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })) } }).deliverDue();
    expect(outbox.get(id).outcomes[0]).toMatchObject({ status: 'retry', error: 'cannot resolve nowhere.test: ENOTFOUND' });
  });

  it('the running worker delivers a row when woken', async () => {
    const delivery = worker({ now: () => new Date(), pollIntervalMs: 60_000 });
    delivery.start();
    const arrived = new Promise<void>((resolve) => answers.push((res) => (status(200)(res), resolve())));
    const id = outbox.add(`${base}/live`, new Date());
    delivery.wake();
    await arrived;
    await delivery.stop();
    expect(outbox.get(id).status).toBe('succeeded');
  });
});
