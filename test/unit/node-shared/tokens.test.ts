import { describe, expect, it } from 'vitest';
import { newToken, tokensEqual } from '../../../node-shared/tokens.js';

describe('tokens (the admin token, the status token, secrets)', () => {
  it('new tokens are URL-safe base64 of the given bytes, never the same twice', () => {
    const a = newToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newToken()).not.toBe(a);
  });

  it('compares a presented token with the expected one: equal only when identical, whatever the lengths', () => {
    const expected = newToken();
    expect(tokensEqual(expected, expected)).toBe(true);
    expect(tokensEqual(`${expected}x`, expected)).toBe(false);
    expect(tokensEqual(expected.slice(1), expected)).toBe(false);
    expect(tokensEqual('', expected)).toBe(false);
    expect(tokensEqual(undefined, expected)).toBe(false);
  });
});
