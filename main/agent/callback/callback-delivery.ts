import type { Logger } from 'winston';
import { CallbackSender, type CallbackSenderOptions } from '../../../node-shared/callback-sender.js';
import type { CallbackUrlPolicyOptions } from '../../../node-shared/callback-url.js';
import type { CallbackAttemptOutcome, CallbackRow } from '../store/agent-store.js';

export type { CallbackAttemptOutcome, CallbackRow };

/** Who signs this agent's callbacks: its machine id, with its current key (replaced when the orchestrator rotates it). */
export interface CallbackSigner {
  readonly signer: string;
  key(): string;
  /** The time to sign with (ms); default the delivery's clock. */
  nowMs?(): number;
}

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
  /** The retry policy's first ceiling and cap (ms); shared/callback-retry.ts by default. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** How often the worker looks for due rows when not woken. */
  readonly pollIntervalMs?: number;
  readonly batchSize?: number;
  /** Replaces the HTTP POST (tests of the retry schedule); default a pinned node:http(s) request. */
  readonly send?: CallbackSenderOptions['send'];
}

/** Delivers due callback rows: durable (every attempt recorded), signed, retried with backoff until the row's ttl. */
export class CallbackDelivery {
  private readonly now: () => Date;
  private readonly timers: Timers;
  private readonly sender: CallbackSender;
  private timer: unknown;
  private running: Promise<number> | undefined;
  private stopped = true;

  constructor(private readonly options: CallbackDeliveryOptions) {
    this.now = options.now ?? (() => new Date());
    this.timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    const { signing } = options;
    this.sender = new CallbackSender({
      policy: options.policy,
      now: this.now,
      random: options.random,
      requestTimeoutMs: options.requestTimeoutMs,
      send: options.send,
      retry: { baseDelayMs: options.baseDelayMs, maxDelayMs: options.maxDelayMs },
      signingNowMs: signing.nowMs ? () => signing.nowMs?.() ?? this.now().getTime() : undefined,
    });
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
    const outcome = await this.sender.attempt({
      url: row.url,
      body: row.body,
      sessionId: row.sessionId,
      workflowId: row.workflowId ?? undefined,
      retrycount: row.retrycount,
      deadlineMs: Date.parse(row.createdon) + row.ttlinseconds * 1000,
      ttlinseconds: row.ttlinseconds,
      signing: { signer: this.options.signing.signer, key: this.options.signing.key() },
    });
    this.options.store.recordCallbackAttempt(row.backgroundoperationid, outcome);
    const meta = { sessionId: row.sessionId, attempt: row.retrycount + 1, ...outcome, nextAttemptAt: outcome.nextAttemptAt?.toISOString() };
    this.options.logger.log(outcome.status === 'failed' ? 'warn' : 'info', `callback ${outcome.status}`, meta);
  }
}
