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
