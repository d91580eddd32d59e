import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import winston from 'winston';
import type TransportStream from 'winston-transport';

/** winston re-exports winston-transport at runtime as `Transport`; its typings only name the module. */
const Transport = (winston as unknown as { Transport: typeof TransportStream }).Transport;

const MESSAGE = Symbol.for('message');

export interface RotatingFileOptions {
  readonly filename: string;
  /** Bytes after which the file is rotated. */
  readonly maxSize: number;
  /** Files kept, the current one included (`agent.log`, `agent.1.log` … newest first). */
  readonly maxFiles: number;
}

/**
 * A size-rotated log file written synchronously, one line per entry. winston's own File transport loses lines and
 * never finishes when entries arrive while it reopens a rotated file (winston#1655, reproduced with 3.19); an agent's
 * diagnostics are a few lines a second, so a sync append is cheap and makes "flushed" trivially true.
 */
export class RotatingFileTransport extends Transport {
  private fd: number | undefined;
  private size = 0;

  constructor(private readonly file: RotatingFileOptions & { format?: winston.Logform.Format; level?: string }) {
    super({ ...(file.format ? { format: file.format } : {}), ...(file.level ? { level: file.level } : {}) });
    mkdirSync(dirname(file.filename), { recursive: true, mode: 0o700 });
    this.open();
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const line = `${String(info[MESSAGE])}\n`;
    const bytes = Buffer.byteLength(line);
    try {
      if (this.size > 0 && this.size + bytes > this.file.maxSize) this.rotate();
      if (this.fd !== undefined) {
        writeSync(this.fd, line);
        this.size += bytes;
      }
    } catch (err) {
      // A full disk must not take the agent down; the console transport still has the line.
      this.emit('warn', err);
    }
    setImmediate(() => this.emit('logged', info));
    next();
  }

  override close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.close();
    callback();
  }

  /** `agent.log` → `agent.1.log` → … → dropped past maxFiles. */
  private rotate(): void {
    this.close();
    const { dir, name, ext } = parse(this.file.filename);
    const nth = (n: number) => (n === 0 ? this.file.filename : join(dir, `${name}.${n}${ext}`));
    const keep = Math.max(1, this.file.maxFiles);
    rmSync(nth(keep - 1), { force: true });
    for (let n = keep - 2; n >= 0; n -= 1) if (existsSync(nth(n))) renameSync(nth(n), nth(n + 1));
    this.open();
  }

  private open(): void {
    this.fd = openSync(this.file.filename, 'a', 0o600);
    this.size = statSync(this.file.filename).size;
  }
}
