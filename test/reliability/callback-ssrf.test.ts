import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { CallbackDelivery } from '../../main/agent/callback/callback-delivery.js';
import { postOnce } from '../../node-shared/callback-post.js';
import { callbackRows, storeWithCallback } from '../support/callback-store.js';
import { CallbackReceiver } from '../support/callback-receiver.js';

/**
 * Callback SSRF: every URL that points (literally, through DNS, or through a redirect) at loopback, link-local or a
 * cloud metadata service is refused, and no request reaches it. The forbidden target is a real server on 127.0.0.1
 * that counts requests; every HTTP request the delivery makes is counted too (the real sender, wrapped).
 */
const logger = winston.createLogger({ silent: true });

/** DNS answers for test names (anything else resolves for real, e.g. localhost). */
const DNS: Record<string, readonly LookupAddress[]> = {
  'loopback.test': [{ address: '127.0.0.1', family: 4 }],
  'v6loop.test': [{ address: '::1', family: 6 }],
  'mapped.test': [{ address: '::ffff:127.0.0.1', family: 6 }],
  'meta.test': [{ address: '169.254.169.254', family: 4 }],
  'alibaba.test': [{ address: '100.100.100.200', family: 4 }],
  'aws6.test': [{ address: 'fd00:ec2::254', family: 6 }],
  'linklocal.test': [{ address: '169.254.1.1', family: 4 }],
  'linklocal6.test': [{ address: 'fe80::1', family: 6 }],
  'mixed.test': [
    { address: '93.184.216.34', family: 4 },
    { address: '127.0.0.1', family: 4 },
  ],
  'hooks.test': [{ address: '127.0.0.1', family: 4 }],
  'siit.test': [{ address: '::ffff:0:7f00:1', family: 6 }],
  'sixtofour.test': [{ address: '2002:7f00:1::1', family: 6 }],
  'nat64meta.test': [{ address: '64:ff9b::a9fe:a9fe', family: 6 }],
};
const lookupAll = async (host: string): Promise<readonly LookupAddress[]> => DNS[host] ?? lookup(host, { all: true, verbatim: true });

describe('reliability: callback SSRF — refused, and zero requests reach a forbidden target', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** Delivers one callback row to `url` with the given allow-list; returns the row and the requests made. */
  async function deliver(url: string, allow: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'flowhost-ssrf-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const now = () => new Date('2026-06-01T00:00:00Z');
    const file = join(dir, 'agent.db');
    const { store } = storeWithCallback(file, url, { now, ttlS: 3600 });
    let sent = 0;
    const delivery = new CallbackDelivery({
      store,
      signing: { signer: '0b9a3c52-52c4-4f4e-9d1a-0c6a9f4c1e22', key: () => 'callback-secret-0123456789' },
      policy: { allow, lookupAll },
      logger,
      now,
      send: (...args) => ((sent += 1), postOnce(...args)),
    });
    await delivery.deliverDue();
    store.close();
    return { row: callbackRows(file)[0]!, sent };
  }

  it('loopback (not allow-listed), link-local, metadata — literal, in every notation, and through DNS names — all refused without a request', async () => {
    const forbidden = await CallbackReceiver.start();
    cleanups.push(() => forbidden.close());
    const p = forbidden.port;
    const urls = [
      `http://127.0.0.1:${p}/`,
      `https://127.0.0.1:${p}/`,
      `https://localhost:${p}/`,
      `https://127.1:${p}/`,
      `https://2130706433:${p}/`,
      `https://0x7f000001:${p}/`,
      `https://[::1]:${p}/`,
      `https://[::ffff:127.0.0.1]:${p}/`,
      `https://[::ffff:7f00:1]:${p}/`,
      'https://169.254.169.254/latest/meta-data/',
      'https://[::ffff:169.254.169.254]/',
      'https://[fd00:ec2::254]/',
      'https://100.100.100.200/',
      'https://metadata.google.internal/computeMetadata/v1/',
      'https://metadata/',
      'https://169.254.1.1/',
      'https://[fe80::1]/',
      `https://loopback.test:${p}/`,
      `https://v6loop.test:${p}/`,
      `https://mapped.test:${p}/`,
      `https://mixed.test:${p}/`,
      'https://meta.test/',
      'https://alibaba.test/',
      'https://aws6.test/',
      'https://linklocal.test/',
      'https://linklocal6.test/',
    ];
    let requests = 0;
    for (const url of urls) {
      const { row, sent } = await deliver(url, []);
      requests += sent;
      expect(row.statuscode, url).toBe(31);
      expect(row.errormessage, url).toMatch(/^CallbackUrlRefused: /);
    }
    // Allow-listing opens loopback, never link-local or metadata.
    for (const url of ['https://169.254.169.254/', 'https://meta.test/', 'https://linklocal.test/', 'https://[fe80::1]/']) {
      const { row, sent } = await deliver(url, ['169.254.169.254', 'meta.test', 'linklocal.test', 'fe80::1']);
      requests += sent;
      expect(row.errormessage, url).toMatch(/^CallbackUrlRefused: .*(metadata|link-local)/);
    }
    expect(requests).toBe(0);
    expect(forbidden.requests).toHaveLength(0);
    // The counter works: the same server allow-listed gets its one request.
    const control = await deliver(`http://127.0.0.1:${p}/allowed`, ['127.0.0.1']);
    expect(control.row.statuscode).toBe(30);
    expect(forbidden.requests).toHaveLength(1);
    console.log(`callback SSRF: ${urls.length + 4} forbidden URLs refused, ${requests} requests made, ${forbidden.requests.length - 1} reached the forbidden server`);
  });

  it('IPv4 carried in IPv6 (SIIT ::ffff:0:a.b.c.d, 6to4 2002::/16, NAT64 64:ff9b::/96, Teredo) is judged by that IPv4: refused without a request', async () => {
    const forbidden = await CallbackReceiver.start();
    cleanups.push(() => forbidden.close());
    const p = forbidden.port;
    const urls = [
      `https://[::ffff:0:127.0.0.1]:${p}/`,
      `https://[::ffff:0:7f00:1]:${p}/`,
      `https://[2002:7f00:1::1]:${p}/`,
      `https://[2002:c0a8:101::1]:${p}/`,
      `https://[64:ff9b::7f00:1]:${p}/`,
      'https://[64:ff9b::169.254.169.254]/',
      'https://[::ffff:0:a9fe:a9fe]/',
      'https://[2002:a9fe:a9fe::]/',
      `https://[2001:0:4136:e378:8000:63bf:80ff:fffe]:${p}/`,
      `https://siit.test:${p}/`,
      `https://sixtofour.test:${p}/`,
      'https://nat64meta.test/',
    ];
    let requests = 0;
    for (const url of urls) {
      const { row, sent } = await deliver(url, []);
      requests += sent;
      expect(row.errormessage, url).toMatch(/^CallbackUrlRefused: .*(loopback|private|metadata) address/);
      expect(row.statuscode, url).toBe(31);
    }
    expect(requests).toBe(0);
    expect(forbidden.requests).toHaveLength(0);
  });

  it('a redirect to a forbidden target (307/308/302/301 to loopback, metadata, link-local) is not followed: one request to the hook, none beyond', async () => {
    const forbidden = await CallbackReceiver.start();
    cleanups.push(() => forbidden.close());
    const targets = [forbidden.url('/stolen'), 'http://169.254.169.254/latest/meta-data/', 'http://metadata.google.internal/', `http://[::1]:${forbidden.port}/`, 'http://169.254.1.1/'];
    const statuses = [307, 308, 302, 301, 303];
    let n = 0;
    const hook = await CallbackReceiver.start(() => {
      const i = n++;
      return { status: statuses[i % statuses.length]!, headers: { location: targets[i % targets.length]! } };
    });
    cleanups.push(() => hook.close());
    let requests = 0;
    for (let i = 0; i < targets.length; i++) {
      const { row, sent } = await deliver(hook.url(`/hook-${i}`, 'hooks.test'), ['hooks.test']);
      requests += sent;
      expect(row.statuscode).toBe(31);
      expect(row.errormessage).toMatch(/^CallbackFailed: HTTP 30\d redirect not followed/);
    }
    expect(requests).toBe(targets.length);
    expect(hook.requests).toHaveLength(targets.length);
    expect(forbidden.requests).toHaveLength(0);
  });
});
