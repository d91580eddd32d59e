import { describe, expect, it } from 'vitest';
import { trayStateFrom } from '../../../../main/electron/tray-state.js';
import { session, snapshot } from './tray-fixtures.js';

describe('trayStateFrom', () => {
  it('maps every connection status of the core to the four the tray knows', () => {
    const seen = (['idle', 'connecting', 'connected', 'disconnected', 'refused', 'stopped'] as const).map(
      (status) => trayStateFrom(snapshot({ connection: { status } }), { openAtLogin: false }).connection,
    );
    expect(seen).toEqual(['connecting', 'connecting', 'connected', 'offline', 'refused', 'offline']);
  });

  it('counts the sessions holding a slot and copies pause, drain, attended, storage and the login setting', () => {
    const s = trayStateFrom(
      snapshot({
        connection: { status: 'refused', error: 'credential revoked' },
        scheduling: { capacity: 3, paused: true, pausedUntil: '2026-01-01T10:00:00.000Z', draining: true, storageOk: false },
        sessions: [session(1, 'running'), session(2, 'accepted'), session(3, 'completed')],
        attendedMode: true,
      }),
      { openAtLogin: true },
    );
    expect(s).toEqual({
      connection: 'refused',
      connectionError: 'credential revoked',
      running: 2,
      capacity: 3,
      paused: true,
      pausedUntil: '2026-01-01T10:00:00.000Z',
      draining: true,
      attendedMode: true,
      storageOk: false,
      openAtLogin: true,
    });
  });

  it('leaves optional fields out rather than undefined', () => {
    const s = trayStateFrom(snapshot(), { openAtLogin: false });
    expect(Object.keys(s)).not.toContain('pausedUntil');
    expect(Object.keys(s)).not.toContain('connectionError');
  });
});
