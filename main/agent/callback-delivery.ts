import type { Logger } from 'winston';
import { ErrorCode } from '../../shared/error-codes.js';
import { IDEMPOTENCY_KEY_HEADER, isRetryableCallbackStatus, SIGNATURE_HEADER } from '../../shared/callback.js';
import { signCallback } from '../../shared/callback-signature.js';
import { nodeHmacSha256, type CallbackSigner } from './callback-signing.js';
import { checkCallbackUrl, type CallbackUrlPolicyOptions } from './callback-url-policy.js';
import { postOnce, type SendResult } from './callback-http.js';
import type { CallbackAttemptOutcome, CallbackRow } from './store/agent-store.js';

export type { CallbackAttemptOutcome, CallbackRow };

/** The part of AgentStore the worker uses. */
export interface CallbackOutbox {
  dueCallbacks(now: Date, limit: number): CallbackRow[];
  recordCallbackAttempt(id: string, outcome: CallbackAttemptOutcome): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface CallbackDeliveryOptions {
  readonly store: CallbackOutbox;
  /** Signs X-Flowhost-Signature: this machine's id and its current callback key. */
  readonly signing: CallbackSigner;
  readonly policy: CallbackUrlPolicyOptions;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly timers?: Timers;
  readonly random?: () => number;
  readonly requestTimeoutMs?: number;
  /** Backoff: ceiling of the first retry delay and the cap (ms); full jitter below the ceiling. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** How often the worker looks for due rows when not woken. */
  readonly pollIntervalMs?: number;
  readonly batchSize?: number;
  /** Replaces the HTTP POST (tests of the retry schedule); default a pinned node:http(s) request. */
  readonly send?: typeof postOnce;
}

/** Retry-After as seconds or an HTTP date → milliseconds from now (undefined when absent or unusable). */
export function retryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** Delivers due callback rows: durable (every attempt recorded), signed, retried with backoff until the row's ttl. */
export class CallbackDelivery {
  private readonly now: () => Date;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly send: typeof postOnce;
  private timer: unknown;
  private running: Promise<number> | undefined;
  private stopped = true;

  constructor(private readonly options: CallbackDeliveryOptions) {
    this.now = options.now ?? (() => new Date());
    this.timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.random = options.random ?? Math.random;
    this.send = options.send ?? postOnce;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** A new row was committed: look now instead of at the next poll. */
  wake(): void {
    if (!this.stopped) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over the due rows; resolves with the number of rows handled. Passes never overlap. */
  deliverDue(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(ms: number): void {
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => {
      void this.deliverDue()
        .catch((err: unknown) => this.options.logger.error('callback delivery pass failed', { error: (err as Error).message }))
        .finally(() => {
          if (!this.stopped) this.schedule(this.options.pollIntervalMs ?? 1000);
        });
    }, ms);
  }

  private async pass(): Promise<number> {
    const rows = this.options.store.dueCallbacks(this.now(), this.options.batchSize ?? 10);
    await Promise.all(rows.map((row) => this.attempt(row)));
    return rows.length;
  }

  private async attempt(row: CallbackRow): Promise<void> {
    const deadline = Date.parse(row.createdon) + row.ttlinseconds * 1000;
    const record = (outcome: CallbackAttemptOutcome) => {
      this.options.store.recordCallbackAttempt(row.backgroundoperationid, outcome);
      const meta = { sessionId: row.sessionId, attempt: row.retrycount + 1, ...outcome, nextAttemptAt: outcome.nextAttemptAt?.toISOString() };
      this.options.logger.log(outcome.status === 'failed' ? 'warn' : 'info', `callback ${outcome.status}`, meta);
    };
    if (this.now().getTime() >= deadline) {
      return record({ status: 'failed', error: `${ErrorCode.CallbackFailed}: ttl of ${row.ttlinseconds} s expired after ${row.retrycount} attempts` });
    }
    const policy = await checkCallbackUrl(row.url, this.options.policy);
    if (!policy.ok && policy.refused) return record({ status: 'failed', error: `${ErrorCode.CallbackUrlRefused}: ${policy.reason}` });
    let result: SendResult;
    if (policy.ok) {
      const body = Buffer.from(row.body, 'utf8');
      const headers = {
        'Content-Type': 'application/json',
        [IDEMPOTENCY_KEY_HEADER]: row.sessionId,
        // Signed at each attempt: a retry carries a fresh time (inside the receiver's window) and the current key.
        [SIGNATURE_HEADER]: signCallback(this.options.signing.key(), this.options.signing.signer, body, (this.options.signing.nowMs?.() ?? this.now().getTime()) / 1000, nodeHmacSha256),
        'User-Agent': 'flowhost-agent',
      };
      result = await this.send(policy.target, body, headers, this.options.requestTimeoutMs ?? 30_000);
    } else {
      result = { kind: 'network-error', error: policy.reason };
    }
    record(this.classify(result, row, deadline));
  }

  private classify(result: SendResult, row: CallbackRow, deadline: number): CallbackAttemptOutcome {
    if (result.kind === 'response') {
      const { status } = result;
      if (status >= 200 && status < 300) return { status: 'succeeded', httpStatus: status };
      if (status >= 300 && status < 400) {
        return { status: 'failed', httpStatus: status, error: `${ErrorCode.CallbackFailed}: HTTP ${status} redirect not followed (to ${result.location ?? '?'})` };
      }
      if (!isRetryableCallbackStatus(status)) return { status: 'failed', httpStatus: status, error: `${ErrorCode.CallbackFailed}: HTTP ${status}` };
    }
    const now = this.now();
    const error = result.kind === 'response' ? `HTTP ${result.status}` : result.error;
    const hinted = result.kind === 'response' ? retryAfterMs(result.retryAfter, now) : undefined;
    const delay = hinted ?? this.backoff(row.retrycount);
    const next = new Date(now.getTime() + delay);
    const httpStatus = result.kind === 'response' ? { httpStatus: result.status } : {};
    if (next.getTime() > deadline) {
      return { status: 'failed', ...httpStatus, error: `${ErrorCode.CallbackFailed}: ${error}; ttl of ${row.ttlinseconds} s ends before the next attempt` };
    }
    return { status: 'retry', ...httpStatus, nextAttemptAt: next, error };
  }

  /** Full jitter: uniform in [0, min(cap, base × 2^attempt)], at least 100 ms. */
  private backoff(retrycount: number): number {
    const base = this.options.baseDelayMs ?? 2000;
    const cap = this.options.maxDelayMs ?? 15 * 60_000;
    const ceiling = Math.min(cap, base * Math.pow(2, Math.min(retrycount, 30)));
    return Math.max(100, Math.floor(this.random() * ceiling));
  }
}
