import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { userSchemaValidator } from '../../../shared/validate.js';

/** Largest outputs file accepted (the outputs field holds ≤ 2 MB). */
export const MAX_OUTPUTS_BYTES = 2_000_000;

export type OutputsResult = { ok: true; outputs?: string } | { ok: false; message: string; details: string[] };

/** No link followed, no wait for a FIFO's writer or a lease holder. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Reads the JSON the flow wrote to FLOWHOST_OUTPUTS and checks it against the workflow's outputschema. Never throws
 * and never waits: whatever the flow made of the path (a dir, a FIFO, a link, a huge file) is an error result, and
 * no error quotes the file's content. No file, or an empty one, means no outputs (checked as `{}` when there is a
 * schema, so required outputs are enforced).
 */
export function readOutputs(file: string, outputschema: string | undefined): OutputsResult {
  const text = readText(file);
  if (typeof text === 'object') return text;
  let value: unknown;
  if (text !== '') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      return failure(`outputs are not valid JSON${positionOf(err)}`);
    }
  }
  if (outputschema !== undefined) {
    let check: (v: unknown, what?: string) => string[];
    try {
      check = userSchemaValidator(JSON.parse(outputschema));
    } catch (err) {
      return failure(`the workflow's outputschema is unusable: ${(err as Error).message}`);
    }
    let errors: string[];
    try {
      errors = check(value ?? {}, 'outputs');
    } catch {
      return failure('the outputs could not be checked against the outputschema');
    }
    if (errors.length > 0) return { ok: false, message: `outputs do not match the outputschema: ${errors.join('; ')}`, details: errors };
  }
  return value === undefined ? { ok: true } : { ok: true, outputs: JSON.stringify(value) };
}

/** The file's text ('' when absent or empty), or the failure. */
function readText(file: string): string | Extract<OutputsResult, { ok: false }> {
  try {
    // One syscall on the event loop for the common case (no outputs, or the empty file made for another user).
    const entry = lstatSync(file, { throwIfNoEntry: false });
    if (entry === undefined) return '';
    if (!entry.isFile()) return failure('the outputs file is not a regular file');
    if (entry.size === 0) return '';
    const fd = openSync(file, OPEN_FLAGS);
    try {
      // The size that counts is the open file's: the path may have changed since lstat.
      const stat = fstatSync(fd);
      if (!stat.isFile()) return failure('the outputs file is not a regular file');
      if (stat.size > MAX_OUTPUTS_BYTES) return tooLarge();
      const buffer = Buffer.allocUnsafe(Math.min(stat.size, MAX_OUTPUTS_BYTES) + 1);
      let length = 0;
      // Reads at most the cap + 1 bytes whatever the file grows to meanwhile.
      for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
      if (length > MAX_OUTPUTS_BYTES) return tooLarge();
      return buffer.toString('utf8', 0, length);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    return failure(code === 'ELOOP' ? 'the outputs file is not a regular file (a symbolic link)' : `cannot read the outputs file (${code})`);
  }
}

function failure(message: string): Extract<OutputsResult, { ok: false }> {
  return { ok: false, message, details: [] };
}

function tooLarge(): Extract<OutputsResult, { ok: false }> {
  return failure(`outputs are more than ${MAX_OUTPUTS_BYTES} bytes; at most ${MAX_OUTPUTS_BYTES} are accepted`);
}

/** Where JSON.parse stopped, without its message: V8 quotes the text it could not parse. */
function positionOf(err: unknown): string {
  const at = /at position (\d+)/.exec((err as Error).message)?.[1];
  return at === undefined ? '' : ` (at position ${at})`;
}
