import { RunMode, SessionStatus } from '../../../shared/option-sets.js';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { preparePrivateDbFiles } from '../../../node-shared/private-file.js';
import type { SessionEvent } from '../../../shared/protocol.js';
import { CallbackOutbox } from './callback-outbox.js';
import { EventOutbox, MAX_EVENT_BYTES, MAX_LINES_PER_EVENT, type EncodedEvent, type LogForm } from './event-outbox.js';
import { chunksOfLines } from './log-chunks.js';
import { migrate } from './migrations.js';
import { maskSecretInputs } from '../../../shared/secret-mask.js';
import { pruneAcked, pruneSecretInputs, sweepReportedSecretInputs } from './retention.js';
import { DisplayRecords } from './display-records.js';
import { DurableEvents } from './durable-events.js';
import { SessionCompletion } from './session-completion.js';
import { SessionReads } from './session-reads.js';
import { StoreDb } from './store-db.js';
import type { WalCheckpointerOptions } from './wal-checkpointer.js';
import type { AssignFrame, CallbackAttemptOutcome, CallbackRow, CompletionInput, LocalSession, LogChunk, LogLine, RetentionOptions, Sample, WorkDirRecord } from './store-types.js';

export type { CallbackRow, CallbackAttemptOutcome, LocalSession, CompletionInput, LogChunk, RetentionOptions, SessionStage, WorkDirRecord } from './store-types.js';

export interface AgentStoreOptions {
  readonly now?: () => Date;
  /** When and how often the WAL is checkpointed off the store's thread (wal-checkpointer.ts; tests start it early). */
  readonly walCheckpoint?: Omit<WalCheckpointerOptions, 'file'>;
}

/**
 * SQLite's auto-checkpoint on the store's own connection (pages of 4 KiB): only a backstop bounding the WAL at
 * 64 MiB should the checkpointer fall behind; the default 1000 pages made every 4 MiB of output a checkpoint and two
 * fsyncs on the thread that reads the flows' pipes.
 */
const BACKSTOP_AUTOCHECKPOINT_PAGES = 16_384;

/**
 * `deferSync`: group commit. The commit returns without waiting for the disk (it survives a kill -9 at once) and one
 * fsync on the thread pool per turn of the event loop makes it durable (see StoreDb). Its events reach the uploader
 * only once durable, so nothing is reported upstream that a power loss could undo; `flushed()` waits for it.
 */
export interface CommitOptions {
  readonly deferSync?: boolean;
}

/**
 * The agent's local SQLite store (WAL, synchronous=FULL): sessions, log lines, outputs, samples, the upstream
 * event outbox (per-agent seq) and the callback outbox. Every state change commits together with its event,
 * before the caller acts on it; listeners of onEvent hear about it only after the commit. Reads: SessionReads.
 */
export class AgentStore extends SessionReads {
  private readonly events: EventOutbox;
  private readonly callbacks: CallbackOutbox;
  private readonly completion: SessionCompletion;
  private readonly listeners = new Set<() => void>();
  private readonly callbackListeners = new Set<() => void>();
  private readonly now: () => Date;
  private readonly durableEvents: DurableEvents;
  /** Display servers of running sessions and screenshots of ended ones (display-records.ts). */
  readonly displays: DisplayRecords;

  private constructor(
    private readonly db: Database.Database,
    opts: AgentStoreOptions,
  ) {
    super(new StoreDb(db, opts.walCheckpoint));
    this.now = opts.now ?? (() => new Date());
    this.events = new EventOutbox(db);
    this.callbacks = new CallbackOutbox(db);
    this.completion = new SessionCompletion(this.q, this.events, this.callbacks);
    this.durableEvents = new DurableEvents(this.q, this.events, () => this.notify());
    this.displays = new DisplayRecords(this.q);
  }

  static open(file: string, opts: AgentStoreOptions = {}): AgentStore {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Secret inputs pass through this file and its WAL: no other user (a flow runs as one) may read them.
    preparePrivateDbFiles(file);
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
      // Deleted and rewritten content (a pruned assign's secret inputs) is zeroed, not left in free pages.
      db.pragma('secure_delete = ON');
      migrate(db);
      if (db.transaction(() => sweepReportedSecretInputs(db))() > 0) db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      db.close();
      throw err;
    }
    return new AgentStore(db, opts);
  }

  /** Runs `fn` in one transaction; tells onEvent listeners once the events it appended are durable. */
  private commit<T>(fn: () => T, opts: CommitOptions = {}): T {
    const before = this.events.lastSeq();
    const result = opts.deferSync ? this.q.crashSafe(fn) : this.q.durable(fn);
    if (this.events.lastSeq() !== before) this.durableEvents.appended(opts.deferSync === true);
    return result;
  }

  /** Resolves once every commit made so far (deferred ones included) is durable. */
  flushed(): Promise<void> {
    return this.q.sync();
  }

  private notify(listeners: ReadonlySet<() => void> = this.listeners): void {
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch {
        // A failing observer must not undo or block a committed state change.
      }
    }
  }

  private iso(): string {
    return this.now().toISOString();
  }

  // ───── sessions ─────

  /**
   * Persists an assignment before `accept` is sent (with `deferSync`, the caller awaits `flushed()` first); a repeated
   * assign of a held session is a no-op.
   */
  recordAssignment(assign: AssignFrame, opts: CommitOptions = {}): void {
    const insert = () =>
      this.q
        .sql(`INSERT OR IGNORE INTO sessions (id, stage, statuscode, assign, acceptedon) VALUES (?, 'accepted', ${SessionStatus.v.Waiting}, ?, ?)`)
        .run(assign.session.flowsessionid, JSON.stringify(assign), this.iso());
    if (opts.deferSync) this.q.crashSafe(insert);
    else insert();
  }

  /** Forgets an unconfirmed assignment (revoke / reject); a confirmed session is never forgotten. */
  forgetAssignment(sessionId: string): void {
    this.q.sql(`DELETE FROM sessions WHERE id = ? AND stage = 'accepted'`).run(sessionId);
  }

  /**
   * A Local run started on this machine: the session is confirmed at once (nobody else can run it) and its first
   * event, `local-session`, goes into the outbox in the same transaction, so the orchestrator learns of the session
   * in seq order before any of its other events, exactly once. `workflowid` only when the workflow is the
   * orchestrator's (fetched by id, or a record export that names it).
   */
  recordLocalSession(assign: AssignFrame, report: { workflowid?: string; ownerPid?: number } = {}): void {
    const { session } = assign;
    if (session.runmode !== RunMode.v.Local) throw new Error(`a local session has runmode ${RunMode.v.Local} (Local), not ${session.runmode}`);
    this.commit(() => {
      const seq = this.events.append({
        sessionId: session.flowsessionid,
        at: this.iso(),
        kind: 'local-session',
        name: session.name,
        createdon: session.createdon,
        // The orchestrator never runs a local session: it gets the inputs as every read shows them, secrets masked.
        inputs: maskSecretInputs(assign.inputs, assign.secretInputs),
        ...(report.workflowid !== undefined ? { workflowid: report.workflowid } : {}),
      });
      this.q
        .sql(`INSERT INTO sessions (id, stage, statuscode, assign, acceptedon, local_seq, owner_pid) VALUES (?, 'confirmed', ${SessionStatus.v.Waiting}, ?, ?, ?, ?)`)
        .run(session.flowsessionid, JSON.stringify(assign), this.iso(), seq, report.ownerPid ?? process.pid);
    });
  }

  /** A local session whose `local-session` event the orchestrator has not acked: it does not know the session yet. */
  isUnreportedLocal(sessionId: string): boolean {
    const row = this.q.sql('SELECT local_seq FROM sessions WHERE id = ?').get(sessionId) as { local_seq: number | null } | undefined;
    return row?.local_seq != null && row.local_seq > this.events.lastAckedSeq();
  }

  /**
   * Not fsync'd (see StoreDb.crashSafe): it survives a kill -9, and the fsync of the `markRunning` that follows at
   * once (awaited before the flow spawns) makes it durable too. A power loss before that leaves the session accepted,
   * as if the confirm never came (the orchestrator confirms it again on hello).
   */
  markConfirmed(sessionId: string): void {
    this.q.crashSafe(() => this.q.sql(`UPDATE sessions SET stage = 'confirmed' WHERE id = ? AND stage = 'accepted'`).run(sessionId));
  }

  // ───── the session host's state changes (each with its event) ─────

  /** confirmed → running, with the `started` event. Throws when the session is not confirmed. */
  markRunning(sessionId: string, info: { startedon: string; runas?: string }, opts: CommitOptions = {}): void {
    this.commit(() => {
      const changed = this.q
        .sql(`UPDATE sessions SET stage = 'running', statuscode = ${SessionStatus.v.Running}, startedon = ?, runas = ? WHERE id = ? AND stage = 'confirmed'`)
        .run(info.startedon, info.runas ?? null, sessionId).changes;
      if (changed !== 1) throw new Error(`session ${sessionId} is not confirmed; it cannot start`);
      this.events.append({
        sessionId,
        at: this.iso(),
        kind: 'started',
        startedon: info.startedon,
        ...(info.runas !== undefined ? { sessionusername: info.runas } : {}),
      });
    }, opts);
  }

  /**
   * The flow's process group, for recover() to kill after a kill -9 of the agent. Not fsync'd (StoreDb.crashSafe):
   * a pid means nothing after a power loss, which ends the flow too.
   */
  recordPid(sessionId: string, pid: number): void {
    this.q.crashSafe(() => this.q.sql('UPDATE sessions SET pid = ? WHERE id = ?').run(pid, sessionId));
  }

  /**
   * A run-as session's work dir, recorded before anything is written into it: after a kill -9, recover() removes it.
   * Crash-safe; the `started` commit's fsync, awaited before the flow spawns, makes it durable too.
   */
  recordWorkDir(sessionId: string, dir: WorkDirRecord): void {
    this.q.crashSafe(() => this.q.sql('INSERT OR REPLACE INTO work_dirs (session_id, path, uid, gid) VALUES (?, ?, ?, ?)').run(sessionId, dir.path, dir.uid, dir.gid));
  }

  /** Work dirs recorded and not yet removed, oldest first. */
  workDirs(): (WorkDirRecord & { readonly sessionId: string })[] {
    const rows = this.q.sql('SELECT session_id, path, uid, gid FROM work_dirs ORDER BY rowid').all() as { session_id: string; path: string; uid: number; gid: number }[];
    return rows.map((r) => ({ sessionId: r.session_id, path: r.path, uid: r.uid, gid: r.gid }));
  }

  /** The work dir was removed. */
  forgetWorkDir(sessionId: string): void {
    this.q.crashSafe(() => this.q.sql('DELETE FROM work_dirs WHERE session_id = ?').run(sessionId));
  }

  /** running ⇄ paused with a `status` event; no-op when already there. Returns whether it changed. */
  setPaused(sessionId: string, paused: boolean): boolean {
    return this.commit(() => {
      const [from, to, code] = paused ? ['running', 'paused', SessionStatus.v.Paused] as const : ['paused', 'running', SessionStatus.v.Running] as const;
      const changed = this.q.sql('UPDATE sessions SET stage = ?, statuscode = ? WHERE id = ? AND stage = ?').run(to, code, sessionId, from).changes;
      if (changed === 1) this.events.append({ sessionId, at: this.iso(), kind: 'status', statuscode: code });
      return changed === 1;
    });
  }

  /**
   * A session's output as chunks (the session log cuts them), in one transaction: each chunk written once, with the
   * `log` event that references it (its lines are built from the chunk when the event is sent).
   */
  appendLogChunks(sessionId: string, chunks: readonly LogChunk[], opts: CommitOptions = {}): void {
    if (chunks.length === 0) return;
    this.commit(() => {
      const at = this.iso();
      for (const chunk of chunks) this.events.appendLogChunk(sessionId, at, (eventSeq) => this.logChunks.insert(sessionId, chunk, eventSeq));
    }, opts);
  }

  /** Lines given one by one (each with its per-session seq): stored as chunks within the `log` event's limits. */
  appendLogLines(sessionId: string, lines: readonly LogLine[], opts: CommitOptions = {}): void {
    this.appendLogChunks(sessionId, chunksOfLines(lines, MAX_LINES_PER_EVENT, MAX_EVENT_BYTES), opts);
  }

  appendSamples(sessionId: string, samples: readonly Sample[], opts: CommitOptions = {}): void {
    if (samples.length === 0) return;
    this.commit(() => {
      const seqs = this.events.appendSamples(sessionId, this.iso(), samples);
      const insert = this.q.sql('INSERT INTO samples (session_id, at, cpu, ram_mb, ram_pct, proc_cpu, proc_rss_mb, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      samples.forEach((s, i) =>
        insert.run(sessionId, s.at, s.machineCpuPercent, s.machineRamUsedMb, s.machineRamPercent, s.processCpuPercent ?? null, s.processRssMb ?? null, seqs[i]),
      );
    }, opts);
  }

  /**
   * Ends a session in one transaction: outputs (+ `outputs` event), the figures from its samples, the
   * `completed` event and, when it has a callbackurl, the callback outbox row. Idempotent: a completed session
   * is returned unchanged. `deferSync` is ignored when the session has a callbackurl: its callback may leave at once.
   */
  complete(sessionId: string, result: CompletionInput, opts: CommitOptions = {}): LocalSession {
    const deferSync = opts.deferSync === true && !this.getSession(sessionId)?.session.callbackurl;
    const queued = this.commit(() => {
      const current = this.getSession(sessionId);
      if (!current) throw new Error(`unknown session ${sessionId}`);
      return current.stage !== 'completed' && this.completion.write(current, result, this.iso());
    }, { deferSync });
    if (queued) this.notify(this.callbackListeners);
    return this.getSession(sessionId) as LocalSession;
  }

  /** Prunes acked log chunks and samples of completed sessions by age and size (counted in lines). */
  prune(opts: RetentionOptions = {}): { logLines: number; samples: number } {
    // Not fsync'd: what a power loss undoes is pruned again next time.
    return this.q.crashSafe(() => pruneAcked(this.db, this.events.lastAckedSeq(), this.now(), opts));
  }

  // ───── upstream outbox ─────

  /** The outbox rows as stored, for the uploader (see EncodedEvent): durable ones only (see DurableEvents). */
  encodedEventsAfter(seq: number, limit: number, logs: LogForm = 'lines'): EncodedEvent[] {
    const count = this.durableEvents.durableCount(seq, limit);
    return count === 0 ? [] : this.durableEvents.durable(this.events.encodedEventsAfter(seq, count, logs));
  }

  eventsAfter(seq: number, limit: number): SessionEvent[] {
    return this.events.eventsAfter(seq, limit);
  }

  /**
   * Not fsync'd: after a power loss that undoes it, the orchestrator's welcome (appliedUpTo) acks the same events again.
   * A session whose `completed` event is acked has been reported: its assign loses its secret inputs, and the WAL that
   * held them is checkpointed and truncated.
   */
  ackUpTo(seq: number): void {
    const pruned = this.q.crashSafe(() => {
      const n = pruneSecretInputs(this.db, this.events.lastAckedSeq(), seq);
      this.events.ackUpTo(seq);
      return n;
    });
    if (pruned > 0) this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** See EventOutbox.rebase: the unacked events follow `appliedUpTo`, which becomes the acked seq. */
  rebaseOutbox(appliedUpTo: number): { shift: number; pending: number } {
    const rebased = this.q.durable(() => this.events.rebase(this.db, appliedUpTo));
    if (rebased.shift !== 0) this.durableEvents.allDurable();
    return rebased;
  }

  // ───── identity ─────

  /** The machine this store belongs to (recorded at first use), if any. */
  machineId(): string | undefined {
    const row = this.q.sql(`SELECT value FROM identity WHERE key = 'flowmachineid'`).get() as { value: string } | undefined;
    return row?.value;
  }

  /** Records the machine at first use; a store never changes hands (see store-identity.ts). */
  adoptMachineId(flowmachineid: string): void {
    const current = this.machineId();
    if (current !== undefined && current !== flowmachineid) throw new Error(`agent store belongs to machine ${current}, not ${flowmachineid}`);
    this.q.sql(`INSERT OR IGNORE INTO identity (key, value) VALUES ('flowmachineid', ?)`).run(flowmachineid);
  }

  /** Whether an orchestrator ever took events or sessions from this store (an owner without a recorded identity). */
  usedUpstream(): boolean {
    const assigned = this.q.sql('SELECT 1 FROM sessions WHERE local_seq IS NULL LIMIT 1').get();
    return assigned !== undefined || this.events.lastAckedSeq() > 0;
  }

  lastAckedSeq(): number {
    return this.events.lastAckedSeq();
  }

  lastSeq(): number {
    return this.events.lastSeq();
  }

  pendingEventCount(): number {
    return this.events.pendingCount();
  }

  onEvent(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ───── callback outbox ─────

  /** Called after a completion queued a callback row (committed and fsync'd); returns the unsubscribe function. */
  onCallbackQueued(listener: () => void): () => void {
    this.callbackListeners.add(listener);
    return () => this.callbackListeners.delete(listener);
  }

  dueCallbacks(now: Date, limit: number): CallbackRow[] {
    return this.callbacks.dueAt(now, limit);
  }

  recordCallbackAttempt(id: string, outcome: CallbackAttemptOutcome): void {
    this.callbacks.record(id, outcome, this.now());
  }

  pendingCallbackCount(): number {
    return this.callbacks.pendingCount();
  }

  close(): void {
    this.listeners.clear();
    this.callbackListeners.clear();
    this.q.close();
    if (this.db.open) this.db.close();
  }
}
