import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TRAY_ICONS, trayIconFile, trayIconName } from '../../../../main/electron/tray-icon.js';
import { state } from './tray-fixtures.js';

const assets = join(import.meta.dirname, '../../../../assets');

describe('trayIconName', () => {
  it.each([
    ['idle', state({})],
    ['running', state({ running: 1 })],
    ['paused', state({ paused: true })],
    ['paused', state({ paused: true, running: 2 })],
    ['paused', state({ draining: true, running: 1 })],
    ['offline', state({ connection: 'offline' })],
    ['offline', state({ connection: 'connecting' })],
    ['offline', state({ connection: 'offline', paused: true, running: 1 })],
    ['error', state({ connection: 'refused' })],
    ['error', state({ storageOk: false, running: 1 })],
    ['error', state({ storageOk: false, connection: 'offline' })],
  ] as const)('%s for %j', (icon, s) => {
    expect(trayIconName(s)).toBe(icon);
  });
});

describe('trayIconFile', () => {
  it('uses template images on macOS and colour images elsewhere', () => {
    expect(trayIconFile('paused', 'darwin')).toBe('tray/pausedTemplate.png');
    expect(trayIconFile('paused', 'win32')).toBe('tray/paused.png');
    expect(trayIconFile('paused', 'linux')).toBe('tray/paused.png');
  });

  it('names files that exist in assets/, each with its @2x sibling', () => {
    for (const name of TRAY_ICONS) {
      for (const platform of ['darwin', 'linux'] as const) {
        const file = join(assets, trayIconFile(name, platform));
        expect(existsSync(file), file).toBe(true);
        expect(existsSync(file.replace(/\.png$/, '@2x.png')), file).toBe(true);
      }
    }
  });
});
