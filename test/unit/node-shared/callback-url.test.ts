import { describe, expect, it } from 'vitest';
import { classifyAddress } from '../../../shared/callback.js';
import { checkCallbackUrl } from '../../../node-shared/callback-url.js';

const lookupAll = (table: Record<string, string[]>) => async (host: string) => (table[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('callback URL policy', () => {
  it('classifies IPv4 hidden in IPv6 hex forms', () => {
    expect(classifyAddress('::ffff:a9fe:a9fe')).toBe('metadata');
    expect(classifyAddress('::ffff:7f00:1')).toBe('loopback');
    expect(classifyAddress('0:0:0:0:0:ffff:0a00:0001')).toBe('private');
    expect(classifyAddress('64:ff9b::a9fe:0101')).toBe('link-local');
    expect(classifyAddress('::1')).toBe('loopback');
    expect(classifyAddress('2606:4700::1111')).toBe('public');
  });

  it('accepts https to a public address and pins the checked address', async () => {
    const r = await checkCallbackUrl('https://hooks.example.com/x', { allow: [], lookupAll: lookupAll({ 'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'] }) });
    expect(r).toMatchObject({ ok: true, target: { hostname: 'hooks.example.com', address: '93.184.216.34', family: 4 } });
  });

  it('allow-listing permits http and loopback/private, but never link-local or metadata', async () => {
    const allow = ['receiver.lan', '169.254.169.254'];
    const table = lookupAll({ 'receiver.lan': ['10.0.0.5'] });
    expect(await checkCallbackUrl('http://receiver.lan:8080/cb', { allow, lookupAll: table })).toMatchObject({ ok: true });
    expect(await checkCallbackUrl('http://RECEIVER.lan./cb', { allow, lookupAll: table })).toMatchObject({ ok: true });
    expect(await checkCallbackUrl('http://169.254.169.254/', { allow, lookupAll: table })).toMatchObject({ ok: false, refused: true, reason: expect.stringMatching(/metadata address/) });
  });

  it('refuses when any resolved address is bad, and says why', async () => {
    const r = await checkCallbackUrl('https://mixed.example/', { allow: [], lookupAll: lookupAll({ 'mixed.example': ['93.184.216.34', '192.168.1.10'] }) });
    expect(r).toMatchObject({ ok: false, refused: true, reason: expect.stringMatching(/192\.168\.1\.10, a private address; allow-list the host \(--callback-allow\) to permit it/) });
  });

  it('a name that does not resolve is transient, not refused', async () => {
    expect(await checkCallbackUrl('https://nowhere.example/', { allow: [], lookupAll: lookupAll({}) })).toMatchObject({ ok: false, refused: false });
  });
});

describe('callback URL policy: allow list forms', () => {
  it('allows a host listed with its port, only on that port', async () => {
    const table = lookupAll({ 'receiver.lan': ['10.0.0.5'] });
    expect(await checkCallbackUrl('http://receiver.lan:8080/cb', { allow: ['receiver.lan:8080'], lookupAll: table })).toMatchObject({ ok: true });
    expect(await checkCallbackUrl('http://receiver.lan:9090/cb', { allow: ['receiver.lan:8080'], lookupAll: table })).toMatchObject({ ok: false, refused: true });
  });
});
