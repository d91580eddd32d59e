import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../../../main/agent/runner/line-splitter.js';

/** Collects the lines of each block, checking the block's count. */
const collect =
  (out: string[]) =>
  (text: string, count: number): void => {
    const lines = text.split('\n');
    expect(lines.length).toBe(count);
    out.push(...lines);
  };

function split(chunks: Buffer[], max = 10, transform?: (l: string) => string): string[] {
  const out: string[] = [];
  const s = new LineSplitter(max, collect(out), transform);
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe('LineSplitter', () => {
  it('splits on \\n and \\r\\n, keeps empty lines and a partial last line', () => {
    expect(split([Buffer.from('a\r\nb\n\nc')])).toEqual(['a', 'b', '', 'c']);
  });

  it('joins a line across chunks, including a \\r\\n split between chunks and a multi-byte char split between chunks', () => {
    const euro = Buffer.from('€');
    expect(split([Buffer.from('ab\r'), Buffer.from('\ncd'), euro.subarray(0, 1), euro.subarray(1), Buffer.from('\n')])).toEqual(['ab', 'cd€']);
  });

  it('splits long lines into pieces, never drops text, never splits a surrogate pair', () => {
    expect(split([Buffer.from('0123456789abcdefghijXY\n')])).toEqual(['0123456789', 'abcdefghij', 'XY']);
    expect(split([Buffer.from('123456789😀z\n')])).toEqual(['123456789', '😀z']);
  });

  it('bounds memory on a stream without newlines', () => {
    const out: string[] = [];
    const s = new LineSplitter(10, collect(out));
    s.push(Buffer.from('x'.repeat(35)));
    expect(out).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(10)]);
    s.end();
    expect(out.at(-1)).toBe('xxxxx');
  });

  it('tolerates invalid UTF-8', () => {
    expect(split([Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a])])).toEqual(['a\uFFFD\uFFFDb']);
  });

  it('applies the transform to whole lines before splitting', () => {
    expect(split([Buffer.from('aaaaSECRETbbbb\n')], 6, (l) => l.replace('SECRET', '***'))).toEqual(['aaaa**', '*bbbb']);
  });

  it('masks whole lines, a read of them at a time: a secret split across reads is caught', () => {
    const blocks: string[] = [];
    const s = new LineSplitter(100, (text) => blocks.push(text), (t) => t.replaceAll('hunter2', '***'));
    for (const part of ['a\nthe pass is hun', 'ter2 ok\nb\nc', '\n']) s.push(Buffer.from(part));
    s.end();
    expect(blocks).toEqual(['a', 'the pass is *** ok\nb', 'c']);
  });

  it('loses no character, whatever the chunking (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), { maxLength: 10 }), fc.integer({ min: 1, max: 7 }), (parts, size) => {
        const text = parts.join('\n');
        const bytes = Buffer.from(text);
        const chunks: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
        const lines = split(chunks, 8);
        expect(lines.join('').length).toBe(text.replace(/\r?\n/g, '').length);
      }),
      { numRuns: 200 },
    );
  });
});
