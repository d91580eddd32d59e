import { randomBytes, scryptSync } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_REGISTER_PATH, AGENT_WORKFLOWS_PATH } from '../../shared/protocol.js';
import { refusedUpgradeStatus, registerMachine } from '../support/fake-agent.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../support/orchestrator-harness.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Issue 12 items 6 and 7, with real HTTP and WebSocket clients: registration's password check is a CPU lever (scrypt
 * on the event loop), and the failure limits locked out the wrong people (a right password or a valid machine behind
 * the attacker's address or group). Clients come from several loopback addresses (127.0.0.x; Linux routes all of
 * 127/8 to lo), or name themselves in X-Forwarded-For to an orchestrator that trusts its loopback proxy.
 */
let o: TestOrchestrator | undefined;
afterEach(async () => {
  await o?.close();
  o = undefined;
});

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly message: string;
}

/** A POST on a fresh connection from `from` (a local address), optionally with more headers. */
function post(url: string, path: string, body: unknown, o: { from?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: 'POST', agent: false, localAddress: o.from ?? '127.0.0.1', headers: { 'content-type': 'application/json', ...o.headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        let message = text;
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], message });
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const register = (url: string, password: string, o: { from?: string; group?: string; xff?: string } = {}) =>
  post(url, AGENT_REGISTER_PATH, { group: o.group ?? 'g1', password, name: 'm' }, { from: o.from, headers: o.xff ? { 'x-forwarded-for': o.xff } : {} });

/** A scrypt hash 16 times as costly as the stored ones (p = 16, same memory): a check that is still running when the next requests arrive. */
function slowHash(password: string): string {
  const salt = randomBytes(16);
  const params = { N: 16_384, r: 8, p: 16 };
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), scryptSync(password, salt, 32, params).toString('base64url')].join('$');
}

describe('hostile input: registration as a CPU lever (item 6)', () => {
  it('with 2 checks allowed in flight and 1 waiting, 6 concurrent attempts get 3 answers 503 + Retry-After and 3 checked; the checks run off the event loop', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { maxVerificationsInFlight: 2, maxVerificationsWaiting: 1 } });
    await o.store.groups.insert({ name: 'slow', passwordhash: slowHash('slow-password'), preferredqueuingtype: 1, statecode: 0 });
    const order: string[] = [];
    const attempts = Array.from({ length: 6 }, () =>
      register(o!.url, 'slow-password', { group: 'slow' }).then((a) => {
        order.push(a.status === 503 ? 'busy' : 'checked');
        return a;
      }),
    );
    await waitFor(() => order.length >= 3, { what: 'three answers' });
    // The checks are still running: a request that needs no check is answered before any ends, which only a check
    // off the event loop allows.
    const probe = await post(o.url, AGENT_REGISTER_PATH, { group: 'slow' });
    expect(probe.status).toBe(400);
    order.push('probe');
    const answers = await Promise.all(attempts);
    expect(order).toEqual(['busy', 'busy', 'busy', 'probe', 'checked', 'checked', 'checked']);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 503, 503, 503]);
    for (const a of answers.filter((x) => x.status === 503)) {
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
      expect(a.message).toMatch(/too many credential checks in progress/);
    }
  }, 30_000);

  it('keys IPv6 clients by their /64: failures from one address of a /64 slow the next from another address of it, not from another /64', async () => {
    o = await startTestOrchestrator({ trustProxy: ['loopback'], gateway: { queueTickMs: 20, maxAuthFailuresPerMinute: 3, authFailureDelay: { firstMs: 50, maxMs: 50 } } });
    expect((await o.api('POST', 'flowmachinegroups', { name: 'g1', password: 'group-password-1' })).status).toBe(204);
    for (let i = 0; i < 3; i++) expect((await register(o.url, 'wrong', { xff: `2001:db8:1:2::${i + 1}` })).message).toBe('unknown group or wrong password');
    expect((await register(o.url, 'wrong', { xff: '2001:db8:1:2:ffff:ffff:ffff:ffff' })).message).toMatch(/answered after 50 ms: 4 failures/);
    expect((await register(o.url, 'wrong', { xff: '2001:db8:1:3::1' })).message).toBe('unknown group or wrong password');
    expect((await register(o.url, 'wrong', { xff: '::ffff:198.51.100.7' })).message).toBe('unknown group or wrong password');
  });
});

describe('hostile input: lockouts that locked out the wrong people (item 7)', () => {
  it('10 wrong passwords from one address: the right one still succeeds from another address and from the same one; further wrong ones are slowed, never refused', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { authFailureDelay: { firstMs: 300, maxMs: 300 } } });
    await o.group('g1');
    for (let i = 0; i < 10; i++) expect((await register(o.url, 'wrong-password', { from: '127.0.0.2' })).status).toBe(401);
    expect((await register(o.url, 'group-password', { from: '127.0.0.3' })).status).toBe(200);
    expect((await register(o.url, 'group-password', { from: '127.0.0.2' })).status).toBe(200);
    // The 11th wrong one waits its delay; a right one sent after it from the same address is answered first.
    const order: string[] = [];
    const wrong = register(o.url, 'wrong-password', { from: '127.0.0.2' }).then((a) => (order.push('wrong'), a));
    const right = register(o.url, 'group-password', { from: '127.0.0.2' }).then((a) => (order.push('right'), a));
    const [w, r] = await Promise.all([wrong, right]);
    expect(r.status).toBe(200);
    expect(w.status).toBe(401);
    expect(w.message).toMatch(/answered after 300 ms: 11 failures for this group from your address/);
    expect(order).toEqual(['right', 'wrong']);
    // Another group from the same address is not slowed: the limit is per (group, address).
    await o.group('g2');
    expect((await register(o.url, 'wrong-password', { from: '127.0.0.2', group: 'g2' })).message).toBe('unknown group or wrong password');
  }, 30_000);

  it('12 bad bearer tokens from an address never keep a valid machine of that address out (WebSocket and workflow route)', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { authFailureDelay: { firstMs: 20, maxMs: 40 } } });
    await o.group('g1');
    const reg = await registerMachine(o.url, { group: 'g1', password: 'group-password', name: 'box' });
    for (let i = 0; i < 12; i++) expect(await refusedUpgradeStatus(o.url, `Bearer ${reg.flowmachineid}.${'x'.repeat(43)}`)).toBe(401);
    const agent = await o.connect(reg.flowmachineid, reg.credential);
    await agent.hello();
    const wf = String((await o.workflow())['workflowid']);
    const res = await fetch(`${o.url}${AGENT_WORKFLOWS_PATH}/${wf}`, { headers: { authorization: `Bearer ${reg.flowmachineid}.${reg.credential}` } });
    expect(res.status).toBe(200);
    await agent.close();
  });
});
