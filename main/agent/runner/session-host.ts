import type { Logger } from 'winston';
import { ErrorCode } from '../../../shared/error-codes.js';
import { RunMode, SessionStatus } from '../../../shared/option-sets.js';
import { chooseRunAs } from '../../../shared/session-user-rule.js';
import { processTreeForPlatform, type ProcessTree } from '../process/kill-tree.js';
import { isSessionGroup } from '../process/session-group.js';
import { currentUser, lookupUser, type UserIdentity } from '../process/session-user.js';
import { ActiveSession, SESSION_RUN_TUNING, type SessionRunTuning } from './active-session.js';
import { removeLeftoverWorkDirs } from './leftover-work-dirs.js';
import { endLeftoverDisplays } from './desktop/leftover-displays.js';
import { baseEnv } from './flow-env.js';
import type { CancelReason } from './flow-run.js';
import { monotonicMs } from './run-clock.js';
import type { Sample } from '../../../shared/protocol.js';
import type { AgentStore, LocalSession, RetentionOptions } from '../store/agent-store.js';
import { processExists } from '../process/process-exists.js';

export interface SessionHostOptions extends SessionRunTuning {
  readonly store: AgentStore;
  /** Session dirs live in `<dataDir>/sessions/<id>/`. */
  readonly dataDir: string;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** SIGTERM → SIGKILL grace on cancel/timeout. Default 10 s. */
  readonly killGraceMs?: number;
  /** Process-tree signalling; default by platform. */
  readonly processTree?: ProcessTree;
  /** Retention applied after completions (acked log lines/samples of completed sessions); false = never. */
  readonly retention?: RetentionOptions | false;
  /** Users Unattended sessions run as (`--session-user`), first = for a session that names none; empty = the agent's own user. */
  readonly sessionUsers?: readonly string[];
  /** Retention runs at most this often (it counts every stored log line). Default 10 s; 0 = after every completion. */
  readonly pruneEveryMs?: number;
}

/** Runs confirmed sessions; every state change is committed (with its event) before it is acted on. */
export class SessionHost {
  private readonly runs = new Map<string, { active: ActiveSession; done: Promise<LocalSession> }>();
  private readonly listeners = new Set<() => void>();
  private readonly sampleListeners = new Set<() => void>();
  private readonly now: () => Date;
  private readonly tree: ProcessTree;
  private lastPrune = -Infinity;
  private leftovers: Promise<void> = Promise.resolve();
  /** baseEnv of the agent's own user, once: copying process.env (each read crosses into C++) was a third of a launch. */
  private ownEnv: Readonly<Record<string, string>> | undefined;

  constructor(private readonly options: SessionHostOptions) {
    this.now = options.now ?? (() => new Date());
    this.tree = options.processTree ?? processTreeForPlatform();
  }

  /** Starts a confirmed session: commits Running + `started`, then spawns it as the session's user. */
  start(sessionId: string): void {
    if (this.runs.has(sessionId)) return;
    const { store } = this.options;
    const session = store.getSession(sessionId);
    if (!session || session.stage !== 'confirmed') {
      this.options.logger.warn('start of a session that is not confirmed ignored', { sessionId, stage: session?.stage });
      return;
    }
    const who = this.runAs(session);
    // A flow to spawn: group-committed, and ActiveSession waits for its fsync before spawning (off the event loop).
    store.markRunning(sessionId, { startedon: this.now().toISOString(), runas: who.name }, { deferSync: !('error' in who) });
    this.changed();
    if ('error' in who) {
      store.complete(sessionId, { statuscode: SessionStatus.v.Failed, completedon: this.now().toISOString(), errorcode: ErrorCode.SessionUserUnavailable, errormessage: who.error });
      this.changed();
      return;
    }
    const active = new ActiveSession(session, who.user, {
      store,
      logger: this.options.logger,
      dataDir: this.options.dataDir,
      now: this.now,
      tree: this.tree,
      killGraceMs: this.options.killGraceMs ?? 10_000,
      ownEnv: (this.ownEnv ??= baseEnv(this.options.env ?? process.env, undefined)),
      ...pick(this.options, SESSION_RUN_TUNING),
      onSample: () => this.notify(this.sampleListeners),
    });
    const done = active.done.then(
      (s) => {
        this.options.logger.info('session completed', { sessionId, statuscode: s.statuscode, errorcode: s.errorcode });
        this.ended(sessionId);
        return s;
      },
      (err: Error) => {
        this.options.logger.error('session could not be completed in the store', { sessionId, error: err.message });
        this.ended(sessionId);
        throw err;
      },
    );
    // Observed here so a store failure is logged, not an unhandled rejection; completion() callers still see it.
    done.catch(() => undefined);
    this.runs.set(sessionId, { active, done });
  }

  private ended(sessionId: string): void {
    this.runs.delete(sessionId);
    this.prune();
    this.changed();
  }

  private prune(): void {
    if (this.options.retention === false) return;
    const at = monotonicMs();
    if (at - this.lastPrune < (this.options.pruneEveryMs ?? 10_000)) return;
    this.lastPrune = at;
    try {
      const pruned = this.options.store.prune(this.options.retention ?? {});
      if (pruned.logLines + pruned.samples > 0) this.options.logger.debug('pruned acked session data', pruned);
    } catch (err) {
      this.options.logger.warn('retention pruning failed', { error: (err as Error).message });
    }
  }

  /**
   * The shared rule picks the user: Unattended runs as the session's user, or the first configured one when it names
   * none; Attended and Local run as the agent's own user. `user` is undefined when that is the agent's own user (no switching).
   */
  private runAs(session: LocalSession): { name: string; user: UserIdentity | undefined } | { name: string; error: string } {
    const me = currentUser();
    // Attended and Local: the agent's own user (an Attended session's sign-in was checked when it was accepted).
    if (session.session.runmode !== RunMode.v.Unattended) return { name: me, user: undefined };
    const choice = chooseRunAs(session.session.sessionusername, RunMode.v.Unattended, { sessionUsers: this.options.sessionUsers ?? [], agentUser: me });
    if (!choice.ok) return { name: session.session.sessionusername ?? me, error: choice.message };
    const wanted = choice.user ?? me;
    if (wanted === me) return { name: me, user: undefined };
    const user = lookupUser(wanted);
    if (!user) return { name: wanted, error: `session user '${wanted}' does not exist on this machine` };
    if (process.getuid?.() !== 0) return { name: wanted, error: `the agent is not root, so it cannot run flows as '${wanted}'` };
    return { name: wanted, user };
  }

  /** Idempotent. A running flow gets SIGTERM (its group), SIGKILL after the grace; a confirmed one ends at once. */
  cancel(sessionId: string, reason: CancelReason): void {
    const run = this.runs.get(sessionId);
    if (run) return run.active.cancel(reason);
    const session = this.options.store.getSession(sessionId);
    if (!session || session.stage === 'completed' || session.stage === 'accepted') return;
    const timeout = reason === 'timeout';
    this.options.store.complete(sessionId, {
      statuscode: timeout ? SessionStatus.v.TimedOut : SessionStatus.v.Cancelled,
      completedon: this.now().toISOString(),
      errorcode: timeout ? ErrorCode.RunTimeout : ErrorCode.Cancelled,
      errormessage: timeout ? 'the run timeout passed before the flow started' : 'the session was cancelled before it started',
    });
    this.changed();
  }

  /** Running → Paused: the status is committed first, then the group gets SIGSTOP (undone if that fails). */
  pause(sessionId: string): void {
    const active = this.runs.get(sessionId)?.active;
    if (!active || !this.options.store.setPaused(sessionId, true)) return;
    if (!active.pause()) this.options.store.setPaused(sessionId, false);
    this.changed();
  }

  resume(sessionId: string): void {
    const active = this.runs.get(sessionId)?.active;
    if (!active || !this.options.store.setPaused(sessionId, false)) return;
    if (!active.resume()) this.options.logger.warn('resume signal failed; the flow may have ended', { sessionId });
    this.changed();
  }

  /** The samples of a running session not yet in the store (they are stored in batches), oldest first. */
  liveSamples(sessionId: string): readonly Sample[] {
    return this.runs.get(sessionId)?.active.unstoredSamples ?? [];
  }

  runningCount(): number {
    return this.runs.size;
  }

  /** Resolves when the session (started by this host) has completed; undefined when it is not running here. */
  completion(sessionId: string): Promise<LocalSession> | undefined {
    return this.runs.get(sessionId)?.done;
  }

  /**
   * At agent start. A session the store says was running or paused lost its agent: a live process group from a
   * previous agent cannot be re-attached to its pipes (its output would go nowhere), so it is aborted — its group
   * killed if it still exists — and reported Aborted (AgentRestarted). Confirmed sessions that never started are
   * started now (the orchestrator will not hand them to another machine). Then, in the background, the display
   * servers dead runs left are ended and their work dirs (they hold inputs in clear) removed (`leftoversCleared()`).
   */
  recover(): void {
    const { store, logger } = this.options;
    for (const s of store.activeSessions()) {
      if (this.runs.has(s.sessionId) || ownedByLiveRunProcess(s)) continue;
      // A Local run whose `flowhost run` process ended before starting it is not started behind the user's back.
      const localNeverStarted = s.local === true && s.stage === 'confirmed';
      if (s.stage !== 'running' && s.stage !== 'paused' && !localNeverStarted) continue;
      if (s.pid !== undefined && isSessionGroup(s.pid, s.sessionId)) {
        logger.warn('killing the process group a previous agent left running', { sessionId: s.sessionId, pgid: s.pid });
        this.tree.kill(s.pid);
      }
      store.complete(s.sessionId, {
        statuscode: SessionStatus.v.Aborted,
        completedon: this.now().toISOString(),
        errorcode: ErrorCode.AgentRestarted,
        errormessage: s.local ? 'the flowhost run process ended while the session was open; its run was aborted' : 'the agent stopped while the session ran; its run was aborted',
      });
    }
    for (const s of store.activeSessions()) if (s.stage === 'confirmed' && !s.local) this.start(s.sessionId);
    this.changed();
    this.leftovers = Promise.all([
      endLeftoverDisplays({ store, logger, tree: this.tree, inUse: (id) => this.runs.has(id) }),
      removeLeftoverWorkDirs({ store, dataDir: this.options.dataDir, logger, inUse: (id) => this.workDirInUse(id) }),
    ]).then(
      () => undefined,
      (err: Error) => {
        logger.warn('could not clean up what a previous agent left', { error: err.message });
      },
    );
  }

  /** Resolves once recover() has ended the display servers and removed the work dirs a dead agent left. */
  leftoversCleared(): Promise<void> {
    return this.leftovers;
  }

  private workDirInUse(sessionId: string): boolean {
    if (this.runs.has(sessionId)) return true;
    const s = this.options.store.getSession(sessionId);
    return s !== undefined && s.stage !== 'completed' && ownedByLiveRunProcess(s);
  }

  /** Waits for running sessions up to `graceMs`, then cancels the rest and waits for them to end. */
  async drain(graceMs: number): Promise<void> {
    const all = () => Promise.allSettled([...this.runs.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), graceMs)));
    const outcome = await Promise.race([all(), graceOver]);
    clearTimeout(timer);
    if (outcome !== 'grace') return;
    for (const id of [...this.runs.keys()]) this.cancel(id, 'cancelled');
    await all();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when a running session has a new live sample (see liveSamples); not a state change. */
  onSample(listener: () => void): () => void {
    this.sampleListeners.add(listener);
    return () => this.sampleListeners.delete(listener);
  }

  private changed(): void {
    this.notify(this.listeners);
  }

  private notify(listeners: ReadonlySet<() => void>): void {
    for (const l of [...listeners]) {
      try {
        l();
      } catch (err) {
        this.options.logger.warn('a session host listener failed', { error: (err as Error).message });
      }
    }
  }
}

function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** A Local run belongs to the `flowhost run` process that started it while that process lives. */
function ownedByLiveRunProcess(s: LocalSession): boolean {
  return s.local === true && s.ownerPid !== undefined && s.ownerPid !== process.pid && processExists(s.ownerPid);
}
