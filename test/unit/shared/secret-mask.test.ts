import { describe, expect, it } from 'vitest';
import { createMasker, maskJsonText, maskSecretInputs, secretInputEntries, secretPointers, secretValues } from '../../../shared/secret-mask.js';

describe('secret masking', () => {
  it('masks a secret as is, JSON-escaped, URL-encoded and base64', () => {
    for (const secret of ['p@ss "w/ord"', 'päss-wörd-✓-😀']) {
      const mask = createMasker([secret]);
      expect(mask(`x ${secret} y`)).toBe('x *** y');
      expect(mask(JSON.stringify({ pw: secret }))).toBe('{"pw":"***"}');
      expect(mask(`u=${encodeURIComponent(secret)}`)).toBe('u=***');
      expect(mask(`b64 ${Buffer.from(secret).toString('base64')}`)).toBe('b64 ***');
    }
  });

  it('a lone surrogate in a secret does not throw; its UTF-8 form is what Node writes', () => {
    const secret = 'abc\ud800def';
    const mask = createMasker([secret]);
    expect(mask(`b64 ${Buffer.from(secret).toString('base64')}`)).toBe('b64 ***');
  });

  it('masks the longer of overlapping secrets whole and ignores values too short to mask', () => {
    const mask = createMasker(['abcdef', 'abc', 'x']);
    expect(mask('abcdef abc x')).toBe('*** *** x');
  });

  it('reads the secret inputs by name or pointer: leaves and the JSON of objects', () => {
    expect(secretValues(JSON.stringify({ a: 'one', b: 2, c: { k: 'kk' }, d: 'open' }), ['a', 'b', 'c', 'missing'])).toEqual(['one', '2', '{"k":"kk"}', 'kk']);
    expect(secretValues(JSON.stringify({ creds: { user: 'u', pw: 'secret1' }, t: ['t1', 't2'] }), ['/creds/pw', '/t/1'])).toEqual(['secret1', 't2']);
    expect(secretValues('not json', ['a'])).toEqual([]);
  });

  it('finds x-secret on nested properties, array items, tuples, additionalProperties and allOf branches', () => {
    const schema = {
      type: 'object',
      properties: {
        top: { type: 'string', 'x-secret': true },
        creds: { type: 'object', properties: { user: { type: 'string' }, pw: { type: 'string', 'x-secret': true } } },
        tokens: { type: 'array', items: { type: 'string', 'x-secret': true } },
        users: { type: 'array', items: { type: 'object', properties: { key: { 'x-secret': true } } } },
        pair: { type: 'array', prefixItems: [{}, { 'x-secret': true }] },
        vault: { type: 'object', additionalProperties: { 'x-secret': true } },
        both: { allOf: [{ properties: { k: { 'x-secret': true } } }] },
        '/odd': { 'x-secret': true },
      },
    };
    const inputs = { top: 'T', creds: { user: 'u', pw: 'p' }, tokens: ['a', 'b'], users: [{ key: 'k1' }, { key: 'k2', name: 'n' }], pair: [1, 2], vault: { x: 1 }, both: { k: 1 }, '/odd': 1, plain: 'x' };
    const pointers = secretPointers(schema, inputs);
    expect(pointers).toEqual(['/both/k', '/creds/pw', '/pair/1', '/tokens/0', '/tokens/1', '/top', '/users/0/key', '/users/1/key', '/vault/x', '/~1odd']);
    const entries = secretInputEntries(pointers);
    expect(entries).toContain('top');
    expect(entries).toContain('/~1odd');
    const masked = JSON.parse(maskSecretInputs(JSON.stringify(inputs), entries));
    expect(masked).toEqual({ top: '***', creds: { user: 'u', pw: '***' }, tokens: ['***', '***'], users: [{ key: '***' }, { key: '***', name: 'n' }], pair: [1, '***'], vault: { x: '***' }, both: { k: '***' }, '/odd': '***', plain: 'x' });
  });

  it('masks JSON value by value, so a secret holding JSON syntax leaves valid JSON', () => {
    const mask = createMasker(['a","b', '12345']);
    const out = maskJsonText(JSON.stringify({ x: 'a","b', n: 12345, k: { 'a","b': 1 } }), mask);
    expect(JSON.parse(out)).toEqual({ x: '***', n: '***', k: { '***': 1 } });
    expect(maskJsonText('not json a","b', mask)).toBe('not json ***');
  });
});
