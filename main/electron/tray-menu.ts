import type { TrayState } from './tray-state.js';

/** What a click on a tray item asks for; main.ts maps each to one handler (TrayActionHandlers). No closures in the menu. */
export const TRAY_ACTIONS = [
  'pause',
  'pause-1h',
  'resume',
  'toggle-attended',
  'toggle-open-at-login',
  'open-status-window',
  'run-local',
  'drain-and-quit',
  'quit',
] as const;
export type TrayAction = (typeof TRAY_ACTIONS)[number];
/** One handler per action: an action without a handler does not compile. */
export type TrayActionHandlers = Readonly<Record<TrayAction, () => void | Promise<void>>>;

export type TrayItem =
  | { readonly kind: 'status'; readonly id: string; readonly label: string }
  | { readonly kind: 'separator'; readonly id: string }
  | { readonly kind: 'action'; readonly id: string; readonly label: string; readonly action: TrayAction; readonly enabled: boolean }
  | { readonly kind: 'checkbox'; readonly id: string; readonly label: string; readonly action: TrayAction; readonly checked: boolean; readonly enabled: boolean };

export interface TrayMenuOptions {
  /** Formats the end of a timed pause (default: the local hour and minute). */
  readonly formatTime?: (iso: string) => string;
}

const localTime = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

/** The one-line summary at the top of the menu. */
export function statusLine(state: TrayState, formatTime: (iso: string) => string = localTime): string {
  if (state.connection === 'refused') return `Refused by the orchestrator${state.connectionError ? `: ${state.connectionError}` : ''}`;
  if (!state.storageOk) return 'Error: cannot store new work (disk full?)';
  if (state.connection === 'connecting') return 'Connecting…';
  if (state.connection === 'offline') return state.running > 0 ? `Offline · running ${state.running} of ${state.capacity}` : 'Offline';
  if (state.draining) return `Draining · running ${state.running} of ${state.capacity}`;
  if (state.paused) {
    const until = state.pausedUntil ? `Paused until ${formatTime(state.pausedUntil)}` : 'Paused';
    return state.running > 0 ? `${until} · running ${state.running} of ${state.capacity}` : until;
  }
  if (state.running > 0) return `Running ${state.running} of ${state.capacity}`;
  return 'Connected · idle';
}

/** The tray menu for a state: stable ids, actions by name, nothing that needs Electron. */
export function trayMenu(state: TrayState, options: TrayMenuOptions = {}): TrayItem[] {
  const schedulable = !state.draining;
  const pauseItems: TrayItem[] = state.paused
    ? [{ kind: 'action', id: 'resume', label: 'Resume', action: 'resume', enabled: schedulable }]
    : [
        { kind: 'action', id: 'pause', label: 'Pause', action: 'pause', enabled: schedulable },
        { kind: 'action', id: 'pause-1h', label: 'Pause for 1 hour', action: 'pause-1h', enabled: schedulable },
      ];
  return [
    { kind: 'status', id: 'status', label: statusLine(state, options.formatTime) },
    { kind: 'separator', id: 'sep-status' },
    ...pauseItems,
    { kind: 'checkbox', id: 'attended', label: 'Attended mode', action: 'toggle-attended', checked: state.attendedMode, enabled: schedulable },
    { kind: 'separator', id: 'sep-window' },
    { kind: 'action', id: 'open-status-window', label: 'Open status window', action: 'open-status-window', enabled: true },
    // A Local run (DESIGN.md "Run modes"): this machine, now, even offline; not queued, so pause does not hold it.
    { kind: 'action', id: 'run-local', label: 'Run…', action: 'run-local', enabled: !state.draining },
    { kind: 'checkbox', id: 'open-at-login', label: 'Start at login', action: 'toggle-open-at-login', checked: state.openAtLogin, enabled: true },
    { kind: 'separator', id: 'sep-quit' },
    {
      kind: 'action',
      id: 'drain-and-quit',
      label: state.draining ? 'Draining…' : 'Drain and quit',
      action: 'drain-and-quit',
      enabled: schedulable,
    },
    { kind: 'action', id: 'quit', label: 'Quit', action: 'quit', enabled: true },
  ];
}

export interface QuitPrompt {
  readonly message: string;
  readonly detail: string;
  /** Button labels; index 0 is the default, the last one cancels. */
  readonly buttons: readonly ['Drain and quit', 'Quit now', 'Cancel'];
}

/** Quit asks when sessions run (they would be left to the next start's recovery); undefined = quit at once. */
export function quitPrompt(state: TrayState): QuitPrompt | undefined {
  if (state.running === 0) return undefined;
  const n = state.running === 1 ? '1 session is' : `${state.running} sessions are`;
  return {
    message: `${n} running`,
    detail: 'Drain and quit lets them finish (up to the grace period) and reports them first. Quit now stops the agent; the next start marks them Aborted.',
    buttons: ['Drain and quit', 'Quit now', 'Cancel'],
  };
}
