import { describe, expect, it } from 'vitest';
import { quitPrompt, statusLine, TRAY_ACTIONS, trayMenu, type TrayItem } from '../../../../main/electron/tray-menu.js';
import { state } from './tray-fixtures.js';

const hhmm = (iso: string) => iso.slice(11, 16);
const ids = (items: TrayItem[]) => items.map((i) => i.id);
const item = (items: TrayItem[], id: string) => {
  const found = items.find((i) => i.id === id);
  if (!found) throw new Error(`no item ${id}`);
  return found;
};

describe('statusLine', () => {
  it.each([
    ['Connected · idle', state({})],
    ['Running 1 of 2', state({ running: 1 })],
    ['Running 2 of 2', state({ running: 2 })],
    ['Paused', state({ paused: true })],
    ['Paused until 10:30', state({ paused: true, pausedUntil: '2026-01-01T10:30:00.000Z' })],
    ['Paused until 10:30 · running 1 of 2', state({ paused: true, pausedUntil: '2026-01-01T10:30:00.000Z', running: 1 })],
    ['Draining · running 1 of 2', state({ draining: true, running: 1 })],
    ['Connecting…', state({ connection: 'connecting' })],
    ['Offline', state({ connection: 'offline' })],
    ['Offline · running 1 of 2', state({ connection: 'offline', running: 1 })],
    ['Refused by the orchestrator: credential revoked', state({ connection: 'refused', connectionError: 'credential revoked' })],
    ['Refused by the orchestrator', state({ connection: 'refused' })],
    ['Error: cannot store new work (disk full?)', state({ storageOk: false })],
  ] as const)('%s', (line, s) => {
    expect(statusLine(s, hhmm)).toBe(line);
  });
});

describe('trayMenu', () => {
  it('has a stable layout with ids and named actions when not paused', () => {
    const items = trayMenu(state({}), { formatTime: hhmm });
    expect(ids(items)).toEqual(['status', 'sep-status', 'pause', 'pause-1h', 'attended', 'sep-window', 'open-status-window', 'run-local', 'open-at-login', 'sep-quit', 'drain-and-quit', 'quit']);
    expect(item(items, 'status')).toEqual({ kind: 'status', id: 'status', label: 'Connected · idle' });
    expect(item(items, 'pause')).toMatchObject({ kind: 'action', action: 'pause', enabled: true });
    expect(item(items, 'pause-1h')).toMatchObject({ kind: 'action', label: 'Pause for 1 hour', action: 'pause-1h', enabled: true });
    expect(item(items, 'drain-and-quit')).toMatchObject({ action: 'drain-and-quit', enabled: true, label: 'Drain and quit' });
    expect(item(items, 'quit')).toMatchObject({ action: 'quit', enabled: true });
  });

  it('offers Resume instead of the pause items when paused', () => {
    const items = trayMenu(state({ paused: true, pausedUntil: '2026-01-01T10:30:00.000Z' }), { formatTime: hhmm });
    expect(ids(items)).toContain('resume');
    expect(ids(items)).not.toContain('pause');
    expect(ids(items)).not.toContain('pause-1h');
    expect(item(items, 'resume')).toMatchObject({ action: 'resume', enabled: true });
    expect(item(items, 'status')).toMatchObject({ label: 'Paused until 10:30' });
  });

  it('shows attended mode and start at login as checkboxes that follow the state', () => {
    expect(item(trayMenu(state({ attendedMode: true })), 'attended')).toMatchObject({ kind: 'checkbox', checked: true, action: 'toggle-attended' });
    expect(item(trayMenu(state({ attendedMode: false })), 'attended')).toMatchObject({ checked: false });
    expect(item(trayMenu(state({ openAtLogin: true })), 'open-at-login')).toMatchObject({ kind: 'checkbox', checked: true, action: 'toggle-open-at-login' });
  });

  it('disables scheduling items while draining but keeps the window and Quit', () => {
    const items = trayMenu(state({ draining: true, running: 1 }));
    for (const id of ['pause', 'pause-1h', 'attended', 'drain-and-quit', 'run-local']) expect(item(items, id)).toMatchObject({ enabled: false });
    expect(item(items, 'drain-and-quit')).toMatchObject({ label: 'Draining…' });
    expect(item(items, 'open-status-window')).toMatchObject({ enabled: true });
    expect(item(items, 'quit')).toMatchObject({ enabled: true });
  });

  it('offers Run… (a Local run) when offline and when paused, not while draining', () => {
    expect(item(trayMenu(state({})), 'run-local')).toEqual({ kind: 'action', id: 'run-local', label: 'Run…', action: 'run-local', enabled: true });
    expect(item(trayMenu(state({ connection: 'offline' })), 'run-local')).toMatchObject({ enabled: true });
    expect(item(trayMenu(state({ paused: true })), 'run-local')).toMatchObject({ enabled: true });
  });

  it('keeps every id unique and every item free of functions, in every state', () => {
    const states = [
      state({}),
      state({ running: 2 }),
      state({ paused: true }),
      state({ draining: true }),
      state({ connection: 'offline' }),
      state({ connection: 'connecting' }),
      state({ connection: 'refused' }),
      state({ storageOk: false }),
    ];
    for (const s of states) {
      const items = trayMenu(s);
      expect(new Set(ids(items)).size).toBe(items.length);
      expect(JSON.parse(JSON.stringify(items))).toEqual(items);
    }
  });

  // Every action has a handler (TrayActionHandlers is a Record of them); this checks the other way: no handler is dead.
  it('offers every tray action in some state', () => {
    const offered = new Set([state({}), state({ paused: true })].flatMap((s) => trayMenu(s).flatMap((i) => ('action' in i ? [i.action] : []))));
    expect([...offered].sort()).toEqual([...TRAY_ACTIONS].sort());
  });
});

describe('quitPrompt', () => {
  it('quits at once when nothing runs', () => {
    expect(quitPrompt(state({}))).toBeUndefined();
  });

  it('asks when sessions run, offering drain first and cancel last', () => {
    expect(quitPrompt(state({ running: 1 }))).toMatchObject({ message: '1 session is running', buttons: ['Drain and quit', 'Quit now', 'Cancel'] });
    expect(quitPrompt(state({ running: 3 }))?.message).toBe('3 sessions are running');
  });
});
