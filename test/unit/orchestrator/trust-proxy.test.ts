import { describe, expect, it } from 'vitest';
import { parseTrustProxy, TrustProxyError } from '../../../orchestrator/trust-proxy.js';

describe('parseTrustProxy', () => {
  it('is off by default and for false-like values; bare means a proxy on this host; lists are kept', () => {
    for (const off of [undefined, false, '', 'false', '0', 'off']) expect(parseTrustProxy(off)).toBe(false);
    for (const on of [true, 'true', '1']) expect(parseTrustProxy(on)).toEqual(['loopback']);
    expect(parseTrustProxy('10.0.0.5, 192.168.0.0/16,::1,uniquelocal')).toEqual(['10.0.0.5', '192.168.0.0/16', '::1', 'uniquelocal']);
  });

  it('refuses anything else, hop counts included', () => {
    expect(() => parseTrustProxy('proxy.example')).toThrow(TrustProxyError);
    expect(() => parseTrustProxy('2')).toThrow(/proxy addresses\/CIDRs/);
  });
});
