import { describe, expect, it } from 'vitest';
import { addressKey } from '../../../../orchestrator/gateway/client-address.js';

describe('addressKey', () => {
  it('keeps IPv4 addresses, unwraps IPv4-mapped ones, and keys IPv6 by its /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002::ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80::/64');
  });

  it('gives an unparsable address its own key', () => {
    expect(addressKey('not-an-address')).toBe('not-an-address');
  });
});
