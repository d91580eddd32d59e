import { randomUUID } from 'node:crypto';
import { buildCallbackBody, CALLBACK_TTL_S } from '../../../shared/callback.js';
import { stateForStatus } from '../../../shared/option-sets.js';
import type { CallbackOutbox } from './callback-outbox.js';
import type { StoreDb } from './store-db.js';
import type { CompletionInput, LocalSession } from './store-types.js';

/** Averages of machine CPU % and RAM %, and the peak used RAM (MB), over the session's samples. */
export function sampleFigures(q: StoreDb, sessionId: string): { cpu?: number; ramPct?: number; ramMb?: number } {
  const row = q.sql('SELECT AVG(cpu) AS cpu, AVG(ram_pct) AS ramPct, MAX(ram_mb) AS ramMb FROM samples WHERE session_id = ?').get(sessionId) as {
    cpu: number | null;
    ramPct: number | null;
    ramMb: number | null;
  };
  const round = (v: number | null, max = Infinity) => (v === null ? undefined : Math.min(max, Math.max(0, Math.round(v * 100) / 100)));
  return defined({ cpu: round(row.cpu, 100), ramPct: round(row.ramPct, 100), ramMb: round(row.ramMb) });
}

/** The callback outbox row of a completed session that has a callbackurl. */
export function callbackRow(session: LocalSession, result: CompletionInput, createdon: string): Parameters<CallbackOutbox['add']>[0] {
  const body = buildCallbackBody({
    flowsessionid: session.sessionId,
    statuscode: result.statuscode,
    statecode: stateForStatus(result.statuscode),
    startedon: session.startedon ?? null,
    completedon: result.completedon,
    outputs: result.outputs ?? null,
    errorcode: result.errorcode ?? null,
  });
  return {
    id: randomUUID(),
    sessionId: session.sessionId,
    url: session.session.callbackurl as string,
    body: JSON.stringify(body),
    createdon,
    ttl: result.callbackTtlS ?? CALLBACK_TTL_S,
  };
}

/** Drops undefined values (the protocol schemas forbid explicit undefined under exactOptional semantics). */
export function defined<T extends Record<string, unknown>>(obj: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
