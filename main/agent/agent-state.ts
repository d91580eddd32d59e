import type { AgentState, Sample } from '../../shared/protocol.js';
import { effectiveSessionUsers } from '../../shared/session-user-rule.js';
import { currentUser } from './process/session-user.js';
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

/** What a started agent's snapshot is read from: its settings and its parts. */
export interface SnapshotSources {
  readonly orchestratorUrl: string;
  readonly machine: AgentSnapshot['machine'];
  readonly connection: { readonly status: ConnectionStatus; readonly lastError: string | undefined; readonly connectedSince: Date | undefined };
  readonly scheduler: { agentState(): AgentState; readonly attended: boolean };
  readonly store: { activeSessions(): LocalSession[]; pendingEventCount(): number; pendingCallbackCount(): number };
  readonly host: { liveSamples(sessionId: string): readonly Sample[] };
}

export function agentSnapshot(s: SnapshotSources): AgentSnapshot {
  const error = s.connection.lastError;
  const since = s.connection.connectedSince?.toISOString();
  return {
    connection: { status: s.connection.status, orchestratorUrl: s.orchestratorUrl, ...(error ? { error } : {}), ...(since ? { since } : {}) },
    machine: s.machine,
    scheduling: s.scheduler.agentState(),
    attendedMode: s.scheduler.attended,
    sessions: s.store.activeSessions().map((session) => sessionView(session, s.host.liveSamples(session.sessionId))),
    backlog: { events: s.store.pendingEventCount(), callbacks: s.store.pendingCallbackCount() },
  };
}

/** The snapshot of an agent whose parts are not started (yet): its settings, all slots free, nothing held. */
export function idleSnapshot(o: {
  readonly orchestratorUrl: string;
  readonly machine: AgentSnapshot['machine'];
  readonly capacity: number;
  readonly sessionUsers: readonly string[];
  readonly attendedMode: boolean;
}): AgentSnapshot {
  const state: AgentState = {
    capacity: o.capacity,
    freeSlots: o.capacity,
    paused: false,
    draining: false,
    attendedAvailable: false,
    sessionUsers: [...effectiveSessionUsers(o.sessionUsers, currentUser())],
    storageOk: true,
  };
  return {
    connection: { status: 'idle', orchestratorUrl: o.orchestratorUrl },
    machine: o.machine,
    scheduling: state,
    attendedMode: o.attendedMode,
    sessions: [],
    backlog: { events: 0, callbacks: 0 },
  };
}

/** The machine as observers see it: ids and, where the agent knows them, names. */
export function machineView(credentials: { readonly flowmachineid: string; readonly flowmachinegroupid?: string; readonly group?: string }, name?: string): AgentSnapshot['machine'] {
  const { flowmachineid, flowmachinegroupid, group } = credentials;
  return {
    flowmachineid,
    ...(name ? { name } : {}),
    ...(flowmachinegroupid ? { flowmachinegroupid } : {}),
    ...(group ? { groupname: group } : {}),
  };
}

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
