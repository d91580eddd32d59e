import type { AgentSnapshot } from '../agent/agent-state.js';

/** What the tray shows; derived from the agent's snapshot plus the tray's own settings. A plain value. */
export interface TrayState {
  readonly connection: 'connected' | 'connecting' | 'offline' | 'refused';
  /** Why the last connection ended or was refused. */
  readonly connectionError?: string;
  /** Sessions holding a slot (accepted, confirmed, running or paused). */
  readonly running: number;
  readonly capacity: number;
  readonly paused: boolean;
  /** ISO date-time; absent = paused until resumed. */
  readonly pausedUntil?: string;
  readonly draining: boolean;
  readonly attendedMode: boolean;
  readonly storageOk: boolean;
  readonly openAtLogin: boolean;
}

export interface TrayPreferences {
  readonly openAtLogin: boolean;
}

/** Snapshot → tray state. `idle` (not yet started) and `connecting` both read as connecting. */
export function trayStateFrom(snapshot: AgentSnapshot, prefs: TrayPreferences): TrayState {
  const { scheduling, connection } = snapshot;
  return {
    connection: trayConnection(connection.status),
    ...(connection.error ? { connectionError: connection.error } : {}),
    running: snapshot.sessions.filter((s) => s.stage !== 'completed').length,
    capacity: scheduling.capacity,
    paused: scheduling.paused,
    ...(scheduling.pausedUntil ? { pausedUntil: scheduling.pausedUntil } : {}),
    draining: scheduling.draining,
    attendedMode: snapshot.attendedMode,
    storageOk: scheduling.storageOk,
    openAtLogin: prefs.openAtLogin,
  };
}

function trayConnection(status: AgentSnapshot['connection']['status']): TrayState['connection'] {
  switch (status) {
    case 'connected':
      return 'connected';
    case 'idle':
    case 'connecting':
      return 'connecting';
    case 'refused':
      return 'refused';
    case 'disconnected':
    case 'stopped':
      return 'offline';
  }
}
