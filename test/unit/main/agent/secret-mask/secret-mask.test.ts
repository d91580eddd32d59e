import { describe, expect, it } from 'vitest';
import { createMasker, secretValues } from '../../../../../main/agent/secret-mask.js';

describe('secret masking', () => {
  it('masks a secret as is, JSON-escaped, URL-encoded and base64', () => {
    const secret = 'p@ss "w/ord"';
    const mask = createMasker([secret]);
    expect(mask(`x ${secret} y`)).toBe('x *** y');
    expect(mask(JSON.stringify({ pw: secret }))).toBe('{"pw":"***"}');
    expect(mask(`u=${encodeURIComponent(secret)}`)).toBe('u=***');
    expect(mask(`b64 ${Buffer.from(secret).toString('base64')}`)).toBe('b64 ***');
  });

  it('masks the longer of overlapping secrets whole and ignores values too short to mask', () => {
    const mask = createMasker(['abcdef', 'abc', 'x']);
    expect(mask('abcdef abc x')).toBe('*** *** x');
  });

  it('reads the secret inputs by name, non-strings as JSON', () => {
    expect(secretValues(JSON.stringify({ a: 'one', b: 2, c: { k: 1 }, d: 'open' }), ['a', 'b', 'c', 'missing'])).toEqual(['one', '2', '{"k":1}']);
    expect(secretValues('not json', ['a'])).toEqual([]);
  });
});
