import { expect } from 'vitest';
import { entities, flowsessionEntity } from '../../../shared/records/index.js';
import type { Store } from '../../../orchestrator/store/store.js';
import { requestOnFreshConnection } from '../../support/orchestrator-harness.js';

/**
 * Helpers of the hostile Web API tests: raw requests (any bytes, any content type), the shape check of an error
 * answer, and a snapshot of the store that an invalid request must leave as it was.
 */

export interface RawReply {
  readonly status: number;
  readonly contentType: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies ad hoc and assert their shape
  readonly json: any;
  readonly text: string;
}

/** One request on a fresh connection. `body` goes on the wire as is; `headers` are sent exactly as given. */
export async function rawRequest(url: string, method: string, headers: Record<string, string>, body?: string | Buffer): Promise<RawReply> {
  const res = await requestOnFreshConnection(url, method, headers, body);
  let json: unknown;
  try {
    json = res.text === '' ? undefined : JSON.parse(res.text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? undefined, json, text: res.text };
}

/** A 4xx answer with `{"error":{"code","message"}}` (both non-empty strings). */
export function expectClearError(res: RawReply, what: string): { code: string; message: string } {
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
  const err = (res.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  expect(typeof err?.code === 'string' && err.code !== '', `${what}: error.code in ${res.text.slice(0, 300)}`).toBe(true);
  expect(typeof err?.message === 'string' && err.message !== '', `${what}: error.message in ${res.text.slice(0, 300)}`).toBe(true);
  return err as { code: string; message: string };
}

/** Fields the queue writes on its own (a Waiting session's reason, its version): not the API's doing. */
const QUEUE_OWNED = new Set(['queuereason', 'modifiedon', 'versionnumber']);

/**
 * Every row of every entity set: key + version (sessions: every field the API can write, since the queue
 * touches their version on its own). Equal snapshots = no row added, removed or changed by the API.
 */
export async function storeSnapshot(store: Store): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const entity of Object.values(entities)) {
    out[entity.set] = (await store.records.list(entity))
      .map((row) => {
        if (entity.set !== flowsessionEntity.set) return `${String(row[entity.key])}@${String(row['versionnumber'])}`;
        const fields = Object.entries(row).filter(([k]) => !QUEUE_OWNED.has(k));
        return JSON.stringify(fields);
      })
      .sort();
  }
  return out;
}

export const rowCounts = (snapshot: Record<string, string[]>): Record<string, number> =>
  Object.fromEntries(Object.entries(snapshot).map(([set, rows]) => [set, rows.length]));

/** `{status: count}` of a list of statuses, for the printed figures. */
export function histogram(statuses: readonly number[]): Record<number, number> {
  const h: Record<number, number> = {};
  for (const s of statuses) h[s] = (h[s] ?? 0) + 1;
  return h;
}
