import type { Static } from '@sinclair/typebox';
import type { Logger } from 'winston';
import { ErrorCode } from '../../../shared/error-codes.js';
import type { AgentFrame, AgentState, Assign, OrchestratorFrame } from '../../../shared/protocol.js';
import { effectiveSessionUsers } from '../../../shared/session-user-rule.js';
import { currentUser } from '../process/session-user.js';
import type { StorageHealth } from './storage-probe.js';
import type { CommitOptions } from '../store/agent-store.js';
import { decideAssignment, isOutboxFull, isPaused, type CanRunAs, type MachineSchedule } from './scheduler-decision.js';

/** What the scheduler needs of the local store (the agent adapts AgentStore to it). */
export interface SchedulerStore {
  /**
   * Persists the assignment (synchronously; durable once `flushed()` resolves, see CommitOptions) before `accept` is
   * sent; throws when the store cannot write.
   */
  recordAssignment(assign: Static<typeof Assign>, opts: CommitOptions): void;
  /** Resolves once every commit made so far is durable (one fsync off the event loop for all commits of a turn). */
  flushed(): Promise<void>;
  forgetAssignment(sessionId: string): void;
  markConfirmed(sessionId: string): void;
  /** 'accepted' = held, not yet confirmed; 'confirmed' = confirmed, starting, running or paused; undefined = unknown or ended. */
  stageOf(sessionId: string): 'accepted' | 'confirmed' | undefined;
  /** Sessions taking a slot (accepted, confirmed, running, paused). */
  activeCount(): number;
}

/** What the scheduler needs of the session host. */
export interface SchedulerHost {
  start(sessionId: string): void;
  cancel(sessionId: string, reason: 'cancelled' | 'timeout'): void;
  pause(sessionId: string): void;
  resume(sessionId: string): void;
}

export interface SchedulerOptions {
  readonly store: SchedulerStore;
  readonly host: SchedulerHost;
  readonly send: (frame: AgentFrame) => boolean;
  readonly canRunAs: CanRunAs;
  readonly logger: Logger;
  readonly capacity: number;
  /** Users unattended sessions run as (`--session-user`); empty = the agent's own user. */
  readonly sessionUsers: readonly string[];
  /** The user the agent runs as; default the process's user. */
  readonly agentUser?: string;
  readonly attendedMode: boolean;
  /** The user signed in at this machine's desktop (the tray app's user), if any. */
  readonly signedInUser?: string;
  /** Whether that user has a graphical session now (desktop/); absent = taken as signed in whenever attended mode is on. */
  readonly hasDesktop?: (user: string) => boolean;
  /**
   * Which run modes the machine can serve now: `include` says whether the orchestrator takes `runModes` in the state
   * (feature `run-modes`); `unattendedProblem` why unattended sessions cannot get their display, if they cannot.
   */
  readonly runModes?: { readonly include: () => boolean; readonly unattendedProblem: () => string | undefined };
  readonly now?: () => Date;
  /** After a failed store write, how long the agent reports storageOk=false before trying again. Default 30 s. */
  readonly storageRetryMs?: number;
  /** Unacked upstream events (the outbox backlog) and the cap above which the agent takes no new work. */
  readonly outbox?: { readonly pending: () => number; readonly cap: number };
  /** Checks the data dir (writable, enough free space) on every decision and state (see storage-probe.ts). */
  readonly storage?: () => StorageHealth;
  /** The machine's scheduling state changed (the agent sends a `state` frame and tells its observers). */
  readonly onChange: () => void;
}

export type SchedulerFrame = Extract<OrchestratorFrame, { type: 'assign' | 'confirm' | 'revoke' | 'cancel' | 'pause' | 'resume' | 'drain' }>;

/** Takes or refuses work, and applies the orchestrator's session and machine commands. */
export class Scheduler {
  private paused = false;
  private pausedUntil: Date | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  private draining = false;
  private storageOk = true;
  private storageTimer: NodeJS.Timeout | undefined;
  private storageError: string | undefined;
  private attendedMode: boolean;
  private signedInUser: string | undefined;
  private readonly now: () => Date;
  private readonly agentUser: string;
  /** Recorded assignments whose fsync is under way: `accept` follows it. */
  private readonly accepting = new Set<string>();

  constructor(private readonly options: SchedulerOptions) {
    this.attendedMode = options.attendedMode;
    this.signedInUser = options.signedInUser;
    this.now = options.now ?? (() => new Date());
    this.agentUser = options.agentUser ?? currentUser();
  }

  handle(frame: SchedulerFrame): void {
    const { store, host } = this.options;
    switch (frame.type) {
      case 'assign':
        return this.assign(frame);
      case 'confirm':
        return this.confirm(frame.sessionId);
      case 'revoke':
        store.forgetAssignment(frame.sessionId);
        return this.options.onChange();
      case 'cancel':
        return this.cancel(frame.sessionId, frame.reason);
      case 'pause':
        if (frame.sessionId) return host.pause(frame.sessionId);
        return this.pauseMachine(frame.until ? new Date(frame.until) : undefined);
      case 'resume':
        if (frame.sessionId) return host.resume(frame.sessionId);
        return this.resumeMachine();
      case 'drain':
        return this.drain();
    }
  }

  /** Sessions the orchestrator no longer wants (welcome.cancelSessions). */
  cancel(sessionId: string, reason: 'cancelled' | 'timeout' = 'cancelled'): void {
    const stage = this.options.store.stageOf(sessionId);
    if (stage === 'accepted') {
      this.options.store.forgetAssignment(sessionId);
      this.options.onChange();
    } else if (stage === 'confirmed') {
      this.options.host.cancel(sessionId, reason);
    } else {
      this.options.logger.info(`cancel of session ${sessionId}: not active on this agent`);
    }
  }

  pauseMachine(until?: Date): void {
    clearTimeout(this.pauseTimer);
    this.paused = true;
    this.pausedUntil = until;
    if (until) {
      // setTimeout caps at ~24.8 days; a longer pause re-arms when it fires.
      const ms = Math.min(Math.max(0, until.getTime() - this.now().getTime()), 2 ** 31 - 1);
      this.pauseTimer = setTimeout(() => (isPaused(this.schedule()) ? this.pauseMachine(until) : this.resumeMachine()), ms);
    }
    this.options.logger.info(`agent paused${until ? ` until ${until.toISOString()}` : ''}`);
    this.options.onChange();
  }

  resumeMachine(): void {
    clearTimeout(this.pauseTimer);
    if (!this.paused) return;
    this.paused = false;
    this.pausedUntil = undefined;
    this.options.logger.info('agent resumed');
    this.options.onChange();
  }

  /** No new work from now on. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.options.logger.info('agent draining: no new work');
    this.options.onChange();
  }

  setAttendedMode(on: boolean, signedInUser = this.signedInUser): void {
    this.attendedMode = on;
    this.signedInUser = signedInUser;
    this.options.onChange();
  }

  get attended(): boolean {
    return this.attendedMode;
  }

  /** The scheduling state as sent in `hello` and `state`. */
  agentState(): AgentState {
    const s = this.schedule();
    const state: AgentState = {
      capacity: s.capacity,
      freeSlots: Math.max(0, s.capacity - s.occupied),
      paused: isPaused(s),
      draining: s.draining,
      attendedAvailable: s.attendedMode && s.signedInUser !== undefined,
      // The users it really runs as (its own when none is configured): the queue applies the same rule to this list.
      sessionUsers: [...effectiveSessionUsers(s.sessionUsers, s.agentUser)],
      storageOk: s.storageOk && !isOutboxFull(s),
    };
    if (state.paused && s.pausedUntil) state.pausedUntil = s.pausedUntil.toISOString();
    if (s.signedInUser !== undefined) state.signedInUser = s.signedInUser;
    if (this.options.runModes?.include()) state.runModes = runModesOf(state.attendedAvailable, s.unattendedProblem);
    return state;
  }

  close(): void {
    clearTimeout(this.pauseTimer);
    clearTimeout(this.storageTimer);
  }

  private schedule(): MachineSchedule {
    const health = this.options.storage?.() ?? { ok: true };
    const storageProblem = !health.ok ? health.reason : this.storageOk ? undefined : this.storageError;
    const unattendedProblem = this.options.runModes?.unattendedProblem();
    const base = {
      now: this.now(),
      capacity: this.options.capacity,
      occupied: this.options.store.activeCount(),
      paused: this.paused,
      draining: this.draining,
      storageOk: this.storageOk && health.ok,
      attendedMode: this.attendedMode,
      sessionUsers: this.options.sessionUsers,
      agentUser: this.agentUser,
    };
    const outbox = this.options.outbox;
    return {
      ...base,
      ...(outbox ? { outbox: { pending: outbox.pending(), cap: outbox.cap } } : {}),
      ...(storageProblem !== undefined ? { storageProblem } : {}),
      ...(this.pausedUntil ? { pausedUntil: this.pausedUntil } : {}),
      ...(unattendedProblem !== undefined ? { unattendedProblem } : {}),
      ...(this.signedInUser !== undefined && (!this.attendedMode || (this.options.hasDesktop?.(this.signedInUser) ?? true)) ? { signedInUser: this.signedInUser } : {}),
    };
  }

  private assign(frame: Static<typeof Assign>): void {
    const sessionId = frame.session.flowsessionid;
    const { store, logger, send } = this.options;
    if (store.stageOf(sessionId) !== undefined) {
      // A repeated assign (e.g. after a reconnect) of a session we already hold: the accept stands (or follows).
      if (!this.accepting.has(sessionId)) send({ type: 'accept', sessionId });
      return;
    }
    const decision = decideAssignment(this.schedule(), frame, this.options.canRunAs);
    if (!decision.accept) {
      logger.info(`rejected session ${sessionId}: ${decision.errorcode} (${decision.message})`);
      send({ type: 'reject', sessionId, errorcode: decision.errorcode, message: decision.message });
      return;
    }
    try {
      // The slot is taken at once; the fsync runs off the event loop, shared with the turn's other commits.
      store.recordAssignment(frame, { deferSync: true });
    } catch (err) {
      return this.assignmentNotStored(sessionId, err);
    }
    this.accepting.add(sessionId);
    this.options.onChange();
    store.flushed().then(
      () => {
        this.accepting.delete(sessionId);
        // Revoked or cancelled while its fsync ran: nothing to accept.
        if (store.stageOf(sessionId) === 'accepted') send({ type: 'accept', sessionId });
      },
      (err: unknown) => {
        this.accepting.delete(sessionId);
        try {
          store.forgetAssignment(sessionId);
        } catch {
          return; // the store closed: the agent is stopping
        }
        this.assignmentNotStored(sessionId, err);
      },
    );
  }

  private assignmentNotStored(sessionId: string, err: unknown): void {
    const message = `the agent could not store the assignment: ${err instanceof Error ? err.message : String(err)}`;
    this.options.logger.error(message);
    this.storageFailed(message);
    this.options.send({ type: 'reject', sessionId, errorcode: ErrorCode.StorageUnavailable, message: message.slice(0, 2000) });
  }

  private confirm(sessionId: string): void {
    const { store, host, logger } = this.options;
    const stage = store.stageOf(sessionId);
    if (stage === undefined) {
      logger.warn(`confirm of session ${sessionId}, which this agent does not hold`);
      return;
    }
    if (stage === 'confirmed') return; // a repeated confirm: the session already started once, never twice
    store.markConfirmed(sessionId);
    host.start(sessionId);
    this.options.onChange();
  }

  private storageFailed(message: string): void {
    this.storageOk = false;
    this.storageError = message;
    clearTimeout(this.storageTimer);
    this.storageTimer = setTimeout(() => {
      this.storageOk = true;
      this.options.onChange();
    }, this.options.storageRetryMs ?? 30_000);
    this.options.onChange();
  }
}

/** The `runModes` of the state: attended as attendedAvailable says, unattended as its display allows. */
function runModesOf(attendedAvailable: boolean, unattendedProblem: string | undefined): NonNullable<AgentState['runModes']> {
  return {
    attended: attendedAvailable ? { available: true } : { available: false, reason: 'AttendedUserNotSignedIn', message: 'attended mode is off or nobody is signed in to a graphical session' },
    unattended: unattendedProblem === undefined ? { available: true } : { available: false, reason: 'DisplayUnavailable', message: unattendedProblem.slice(0, 500) },
  };
}
