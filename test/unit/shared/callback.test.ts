import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCallbackBody, classifyAddress, isRetryableCallbackStatus } from '../../../shared/callback.js';

describe('classifyAddress', () => {
  it.each([
    ['1.2.3.4', 'public'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'metadata'],
    ['fc00::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'public'],
    // IPv4 hidden in IPv6, in the hex form WHATWG URL and DNS produce as well as dotted.
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['64:ff9b::a9fe:101', 'link-local'],
    ['::a9fe:a9fe', 'metadata'],
    ['::ffff:8.8.8.8', 'public'],
    // SIIT (::ffff:0:a.b.c.d, RFC 6145), NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48), 6to4 (2002::/16,
    // RFC 3056) and Teredo (2001::/32, client address inverted): classified by the IPv4 address they carry.
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['::ffff:0:7f00:1', 'loopback'],
    ['0:0:0:0:ffff:0:a9fe:a9fe', 'metadata'],
    ['::ffff:0:10.1.2.3', 'private'],
    ['::ffff:0:8.8.8.8', 'public'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::c0a8:101', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['64:ff9b:1::7f00:1', 'loopback'],
    ['64:ff9b:1::808:808', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:7f00:0001:0:0:0:0:1', 'loopback'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['2002:c0a8:101:1::1', 'private'],
    ['2002:a00:1::', 'private'],
    ['2002:808:808::1', 'public'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'public'],
    ['fec0::1', 'private'],
    ['FE80::1', 'link-local'],
    ['fe80::1%eth0', 'invalid'],
    ['127.1', 'invalid'],
    ['0x7f.0.0.1', 'invalid'],
    ['256.1.1.1', 'invalid'],
    ['gg::1', 'invalid'],
    ['1:2:3:4:5:6:7:8:9', 'invalid'],
    ['example.com', 'invalid'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('never throws and never calls a mapped private IPv4 public', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        classifyAddress(text);
      }),
    );
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
        const hex = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        expect(classifyAddress(hex)).toBe(classifyAddress(v4));
        const [hi, lo] = [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
        for (const embedded of [`::ffff:0:${v4}`, `64:ff9b::${hi}:${lo}`, `2002:${hi}:${lo}::1`]) expect(classifyAddress(embedded), embedded).toBe(classifyAddress(v4));
      }),
    );
  });
});

describe('callback body', () => {
  it('carries outputs as JSON and the error code only when set', () => {
    const base = { flowsessionid: '0b9a3c52-52c4-4f4e-9d1a-0c6a9f4c1e11', statuscode: 4, statecode: 0, startedon: '2026-01-01T00:00:00.000Z', completedon: '2026-01-01T00:00:01.000Z' };
    expect(buildCallbackBody({ ...base, outputs: '{"a":1}' })).toEqual({ ...base, outputs: { a: 1 } });
    expect(buildCallbackBody({ ...base, statuscode: 8, errorcode: 'FlowExitCode' })).toEqual({ ...base, statuscode: 8, errorcode: 'FlowExitCode' });
  });

  it('retries only on 408, 429 and 5xx', () => {
    expect([200, 400, 404, 408, 410, 429, 500, 503].filter(isRetryableCallbackStatus)).toEqual([408, 429, 500, 503]);
  });
});
