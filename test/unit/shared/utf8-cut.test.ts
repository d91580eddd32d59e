import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeReason, cutUtf8, MAX_CLOSE_REASON_BYTES } from '../../../shared/utf8-cut.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const isHigh = (u: number): boolean => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number): boolean => u >= 0xdc00 && u <= 0xdfff;
/** Strings of every UTF-16 shape: ASCII, 2-, 3- and 4-byte code points, and lone surrogates. */
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: fc.constantFrom('é', '€', '😀', 'a', '\ud800', '\udc00'), maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 200 }));

describe('cutUtf8', () => {
  it('keeps the longest prefix that fits, never splitting a code point or a surrogate pair', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 0, max: 400 }), (text, max) => {
        const cut = cutUtf8(text, max);
        expect(text.startsWith(cut)).toBe(true);
        expect(bytes(cut)).toBeLessThanOrEqual(max);
        if (cut.length < text.length) {
          // Longest: the next code point would not fit.
          const next = isHigh(text.charCodeAt(cut.length)) && isLow(text.charCodeAt(cut.length + 1)) ? 2 : 1;
          expect(bytes(text.slice(0, cut.length + next))).toBeGreaterThan(max);
          // Never between the halves of a pair.
          expect(cut.length > 0 && isHigh(cut.charCodeAt(cut.length - 1)) && isLow(text.charCodeAt(cut.length))).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('returns short text as it is', () => {
    expect(cutUtf8('agent stopping', 123)).toBe('agent stopping');
    expect(cutUtf8('', 0)).toBe('');
  });

  it('cuts at byte boundaries of 2-, 3- and 4-byte characters', () => {
    expect(cutUtf8('éé', 3)).toBe('é');
    expect(cutUtf8('€€', 5)).toBe('€');
    expect(cutUtf8('😀😀', 7)).toBe('😀');
    expect(cutUtf8('a😀', 4)).toBe('a');
  });

  it('a close reason of a 100 KB text of 2-byte characters is 123 bytes at most, cut in one pass', () => {
    const text = 'é'.repeat(100_000);
    const cut = closeReason(text);
    expect(bytes(cut)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
    expect(cut).toBe('é'.repeat(61));
    const mixed = 'x😀é€'.repeat(30_000);
    expect(bytes(closeReason(mixed))).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
  });
});
