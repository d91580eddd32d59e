import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { userSchemaValidator } from '../../../shared/validate.js';

/** Largest outputs file accepted (the outputs field holds ≤ 2 MB). */
export const MAX_OUTPUTS_BYTES = 2_000_000;

export type OutputsResult = { ok: true; outputs?: string } | { ok: false; message: string; details: string[] };

/**
 * Reads the JSON the flow wrote to FLOWHOST_OUTPUTS and checks it against the workflow's outputschema.
 * No file means no outputs (checked as `{}` when there is a schema, so required outputs are enforced).
 */
export async function readOutputs(file: string, outputschema: string | undefined): Promise<OutputsResult> {
  let size: number | undefined;
  try {
    // One syscall on the event loop: most flows write no outputs, and a thread-pool round trip per session costs more.
    size = statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return { ok: false, message: `cannot read the outputs file: ${(err as Error).message}`, details: [] };
  }
  if (size !== undefined && size > MAX_OUTPUTS_BYTES) {
    return { ok: false, message: `outputs are ${size} bytes; at most ${MAX_OUTPUTS_BYTES} are accepted`, details: [] };
  }
  let value: unknown;
  if (size !== undefined) {
    const text = await readFile(file, 'utf8');
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { ok: false, message: `outputs are not valid JSON: ${(err as Error).message}`, details: [] };
    }
  }
  if (outputschema !== undefined) {
    let check: (v: unknown, what?: string) => string[];
    try {
      check = userSchemaValidator(JSON.parse(outputschema));
    } catch (err) {
      return { ok: false, message: `the workflow's outputschema is unusable: ${(err as Error).message}`, details: [] };
    }
    const errors = check(value ?? {}, 'outputs');
    if (errors.length > 0) return { ok: false, message: `outputs do not match the outputschema: ${errors.join('; ')}`, details: errors };
  }
  return value === undefined ? { ok: true } : { ok: true, outputs: JSON.stringify(value) };
}
