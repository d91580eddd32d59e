import type { AgentState, Sample } from '../../shared/protocol.js';
import type { ConnectionStatus } from './upstream/connection.js';
import type { LocalSession } from './store/agent-store.js';

/** A session the agent holds, as observers (tray, status window) see it. */
export interface AgentSessionView {
  readonly sessionId: string;
  readonly name: string;
  /** accepted | confirmed | running | paused | completed (the store's stage). */
  readonly stage: LocalSession['stage'];
  readonly statuscode: number;
  readonly runmode: number;
  readonly acceptedon: string;
  readonly startedon?: string;
  readonly runas?: string;
  /** CPU/RAM samples of a running session not yet in the store (stored in batches), oldest first; absent = none. */
  readonly live?: readonly Sample[];
}

export function sessionView(s: LocalSession, live: readonly Sample[] = []): AgentSessionView {
  return {
    sessionId: s.sessionId,
    name: s.session.name,
    stage: s.stage,
    statuscode: s.statuscode,
    runmode: s.session.runmode,
    acceptedon: s.acceptedon,
    ...(s.startedon ? { startedon: s.startedon } : {}),
    ...(s.runas ? { runas: s.runas } : {}),
    ...(live.length > 0 ? { live } : {}),
  };
}

/** Everything the tray menu and the status window show about the agent; a plain, serialisable value. */
export interface AgentSnapshot {
  readonly connection: {
    readonly status: ConnectionStatus;
    /** Why the last connection ended or was refused. */
    readonly error?: string;
    /** When the current connection was welcomed (ISO). */
    readonly since?: string;
    readonly orchestratorUrl: string;
  };
  /** Ids and, where the agent knows them, names (the machine's from config, the group's from its credentials). */
  readonly machine: { readonly flowmachineid: string; readonly name?: string; readonly flowmachinegroupid?: string; readonly groupname?: string };
  /** The scheduling state the orchestrator sees (capacity, free slots, paused/until, draining, attended …). */
  readonly scheduling: AgentState;
  readonly attendedMode: boolean;
  readonly sessions: readonly AgentSessionView[];
  readonly backlog: { readonly events: number; readonly callbacks: number };
}

export type SnapshotListener = (snapshot: AgentSnapshot) => void;

/**
 * Coalesces bursts of changes into one notification after `debounceMs`: listeners get the snapshot,
 * and `onSchedulingChange` runs when the scheduling part differs from the last one sent upstream.
 */
export class AgentStateNotifier {
  private readonly listeners = new Set<SnapshotListener>();
  private timer: NodeJS.Timeout | undefined;
  private due = 0;
  private lastScheduling = '';

  constructor(
    private readonly options: {
      readonly snapshot: () => AgentSnapshot;
      readonly onSchedulingChange: (state: AgentState) => void;
      readonly debounceMs?: number;
    },
  ) {}

  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Something changed; notifies within `withinMs` (default the debounce), or sooner when an earlier call asked for
   * sooner. Changes that only move figures (samples, outbox counts) pass a longer bound so a busy session does
   * not rebuild the snapshot on every commit.
   */
  changed(withinMs = this.options.debounceMs ?? 50): void {
    const due = Date.now() + withinMs;
    if (this.timer && this.due <= due) return;
    clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => this.flush(), withinMs);
  }

  /** Notifies now (and cancels a pending notification). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const snapshot = this.options.snapshot();
    const scheduling = JSON.stringify(snapshot.scheduling);
    if (scheduling !== this.lastScheduling) {
      this.lastScheduling = scheduling;
      this.options.onSchedulingChange(snapshot.scheduling);
    }
    for (const listener of this.listeners) listener(snapshot);
  }

  /** The connection was (re)established: the next change is sent even if equal to the last one. */
  resetSent(state: AgentState): void {
    this.lastScheduling = JSON.stringify(state);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }
}
