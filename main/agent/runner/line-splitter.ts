import { StringDecoder } from 'node:string_decoder';

/**
 * Turns a byte stream into lines: `\n` and `\r\n` end a line, invalid UTF-8 becomes U+FFFD (never an error),
 * a line longer than maxChars is emitted in pieces of maxChars (never dropped), and end() emits a partial
 * last line.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** `transform` (e.g. secret masking) sees each whole line before it is split. */
  constructor(
    private readonly maxChars: number,
    private readonly onLine: (line: string) => void,
    private readonly transform: (line: string) => string = (l) => l,
  ) {
    if (maxChars < 2) throw new Error('maxChars must be at least 2');
  }

  push(chunk: Buffer): void {
    this.consume(this.decoder.write(chunk));
  }

  end(): void {
    this.consume(this.decoder.end());
    if (this.pending.length > 0) this.emit(stripCr(this.pending));
    this.pending = '';
  }

  private consume(text: string): void {
    if (text.length === 0) return;
    let buf = this.pending + text;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      this.emit(stripCr(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
    // Bound memory on a stream without newlines: emit full pieces now, keep the rest (and a lone trailing \r).
    // (A secret straddling such a forced cut is masked only where the transform sees it whole: a stated limit.)
    while (buf.length > this.maxChars) {
      const cut = safeCut(buf, this.maxChars);
      this.onLine(this.transform(buf.slice(0, cut)));
      buf = buf.slice(cut);
    }
    this.pending = buf;
  }

  private emit(line: string): void {
    let rest = this.transform(line);
    while (rest.length > this.maxChars) {
      const cut = safeCut(rest, this.maxChars);
      this.onLine(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    this.onLine(rest);
  }
}

const stripCr = (line: string): string => (line.endsWith('\r') ? line.slice(0, -1) : line);

/** A cut position ≤ max that does not split a UTF-16 surrogate pair. */
function safeCut(text: string, max: number): number {
  const code = text.charCodeAt(max - 1);
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
}
