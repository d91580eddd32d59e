import { randomUUID } from 'node:crypto';
import { buildCallbackBody, CALLBACK_TTL_S } from '../../../shared/callback.js';
import { stateForStatus } from '../../../shared/option-sets.js';
import { maskJsonText, sessionMasker } from '../../../shared/secret-mask.js';
import type { CallbackOutbox } from './callback-outbox.js';
import type { EventOutbox } from './event-outbox.js';
import type { StoreDb } from './store-db.js';
import type { CompletionInput, LocalSession } from './store-types.js';

const cap = (text: string | undefined, max: number): string | undefined => (text === undefined || text.length <= max ? text : text.slice(0, max));

/** What ending a session writes: its outputs, its figures, its last events and its callback row. */
export class SessionCompletion {
  constructor(
    private readonly q: StoreDb,
    private readonly events: EventOutbox,
    private readonly callbacks: CallbackOutbox,
  ) {}

  /**
   * Ends `current` (not completed yet) inside the caller's transaction: outputs (+ `outputs` event), the figures from
   * its samples, the `completed` event and, when it has a callbackurl, the callback outbox row. Returns whether it
   * queued a callback row.
   */
  write(current: LocalSession, reported: CompletionInput, at: string): boolean {
    const sessionId = current.sessionId;
    const result = maskedCompletion(current, reported);
    const figures = sampleFigures(this.q, sessionId);
    if (result.outputs !== undefined) {
      this.q.sql('INSERT OR REPLACE INTO outputs (session_id, outputs) VALUES (?, ?)').run(sessionId, result.outputs);
      this.events.append({ sessionId, at, kind: 'outputs', outputs: result.outputs });
    }
    const errormessage = cap(result.errormessage, 10_000);
    const errordetails = cap(result.errordetails, 100_000);
    this.q
      .sql(
        `UPDATE sessions SET stage = 'completed', statuscode = @statuscode, completedon = @completedon, errorcode = @errorcode,
         errormessage = @errormessage, errordetails = @errordetails, cpu_avg = @cpu, ram_pct_avg = @ramPct, ram_mb_peak = @ramMb,
         runexecutionduration = @duration WHERE id = @id`,
      )
      .run({
        id: sessionId,
        statuscode: result.statuscode,
        completedon: result.completedon,
        errorcode: result.errorcode ?? null,
        errormessage: errormessage ?? null,
        errordetails: errordetails ?? null,
        cpu: figures.cpu ?? null,
        ramPct: figures.ramPct ?? null,
        ramMb: figures.ramMb ?? null,
        duration: result.runexecutionduration ?? null,
      });
    this.events.append({
      sessionId,
      at,
      kind: 'completed',
      statuscode: result.statuscode,
      completedon: result.completedon,
      ...defined({
        startedon: current.startedon,
        errorcode: result.errorcode,
        errormessage,
        errordetails,
        machinepercentcpuusage: figures.cpu,
        machinepercentramusage: figures.ramPct,
        machineramusage: figures.ramMb,
        runexecutionduration: result.runexecutionduration,
      }),
    });
    if (!current.session.callbackurl) return false;
    this.callbacks.add(callbackRow(current, result, at));
    return true;
  }
}

/**
 * The completion with the session's secret inputs masked in everything a flow can put a secret into (its outputs, an
 * error quoting them): what is stored, reported upstream, sent in the callback and shown on the status page. Outputs
 * are masked value by value, so they stay valid JSON; a secret held as a number becomes `"***"`.
 */
function maskedCompletion(current: LocalSession, result: CompletionInput): CompletionInput {
  const mask = sessionMasker(current.inputs, current.secretInputs);
  const json = (text: string | undefined) => (text === undefined ? undefined : maskJsonText(text, mask));
  return defined({ ...result, errormessage: result.errormessage === undefined ? undefined : mask(result.errormessage), errordetails: json(result.errordetails), outputs: json(result.outputs) }) as CompletionInput;
}

/** Averages of machine CPU % and RAM %, and the peak used RAM (MB), over the session's samples. */
function sampleFigures(q: StoreDb, sessionId: string): { cpu?: number; ramPct?: number; ramMb?: number } {
  const row = q.sql('SELECT AVG(cpu) AS cpu, AVG(ram_pct) AS ramPct, MAX(ram_mb) AS ramMb FROM samples WHERE session_id = ?').get(sessionId) as {
    cpu: number | null;
    ramPct: number | null;
    ramMb: number | null;
  };
  const round = (v: number | null, max = Infinity) => (v === null ? undefined : Math.min(max, Math.max(0, Math.round(v * 100) / 100)));
  return defined({ cpu: round(row.cpu, 100), ramPct: round(row.ramPct, 100), ramMb: round(row.ramMb) });
}

/** The callback outbox row of a completed session that has a callbackurl. */
function callbackRow(session: LocalSession, result: CompletionInput, createdon: string): Parameters<CallbackOutbox['add']>[0] {
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
function defined<T extends Record<string, unknown>>(obj: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
