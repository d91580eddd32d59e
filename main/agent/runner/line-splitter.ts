import { StringDecoder } from 'node:string_decoder';

/**
 * Lines of a block: `text` is `count` lines joined by `\n` (a line never holds one), already transformed (masked) and
 * split to at most maxChars each.
 */
export type LinesHandler = (text: string, count: number) => void;

/**
 * Turns a byte stream into lines, a read at a time: `\n` and `\r\n` end a line, invalid UTF-8 becomes U+FFFD (never an
 * error), a line longer than maxChars is emitted in pieces of maxChars (never dropped), and end() emits a partial
 * last line. The whole lines of each read go out as one block: one transform (masking) for all of them, each whole
 * line seen whole whatever the reads that brought it, and no per-line call.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** `transform` (e.g. secret masking) sees whole lines (a block of them) before a long one is split. */
  constructor(
    private readonly maxChars: number,
    private readonly onLines: LinesHandler,
    private readonly transform: (text: string) => string = (t) => t,
  ) {
    if (maxChars < 2) throw new Error('maxChars must be at least 2');
  }

  push(chunk: Buffer): void {
    this.consume(this.decoder.write(chunk));
  }

  end(): void {
    this.consume(this.decoder.end());
    if (this.pending.length > 0) this.emit(this.transform(stripCr(this.pending)));
    this.pending = '';
  }

  private consume(text: string): void {
    if (text.length === 0) return;
    const buf = this.pending + text;
    const nl = buf.lastIndexOf('\n');
    let rest = buf;
    if (nl !== -1) {
      const whole = buf.slice(0, nl + 1);
      rest = buf.slice(nl + 1);
      const lines = whole.includes('\r') ? whole.replace(/\r\n/g, '\n') : whole;
      this.emit(this.transform(lines.slice(0, -1)));
    }
    // Bound memory on a stream without newlines: emit full pieces now, keep the rest (and a lone trailing \r).
    // (A secret straddling such a forced cut is masked only where the transform sees it whole: a stated limit.)
    while (rest.length > this.maxChars) {
      const cut = safeCut(rest, this.maxChars);
      this.onLines(this.transform(rest.slice(0, cut)), 1);
      rest = rest.slice(cut);
    }
    this.pending = rest;
  }

  /** Emits `text` (whole lines joined by `\n`) as one block, long lines split. */
  private emit(text: string): void {
    const max = this.maxChars;
    let count = 0;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      const end = nl === -1 ? text.length : nl;
      if (end - start > max) return this.emitSplit(text);
      count++;
      if (nl === -1) break;
      start = nl + 1;
    }
    this.onLines(text, count);
  }

  private emitSplit(text: string): void {
    const out: string[] = [];
    for (const line of text.split('\n')) {
      let rest = line;
      while (rest.length > this.maxChars) {
        const cut = safeCut(rest, this.maxChars);
        out.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      out.push(rest);
    }
    this.onLines(out.join('\n'), out.length);
  }
}

const stripCr = (line: string): string => (line.endsWith('\r') ? line.slice(0, -1) : line);

/** A cut position ≤ max that does not split a UTF-16 surrogate pair. */
function safeCut(text: string, max: number): number {
  const code = text.charCodeAt(max - 1);
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
}
