import { describe, expect, it } from 'vitest';
import { trayMenu, type TrayAction } from '../../../../main/electron/tray-menu.js';
import { menuTemplate } from '../../../../main/electron/tray-template.js';
import { state } from './tray-fixtures.js';

describe('menuTemplate', () => {
  it('maps items to Electron menu entries whose clicks name their action', () => {
    const clicked: TrayAction[] = [];
    const template = menuTemplate(trayMenu(state({ attendedMode: true })), (a) => clicked.push(a));
    expect(template[0]).toEqual({ id: 'status', label: 'Connected · idle', enabled: false });
    expect(template[1]).toEqual({ id: 'sep-status', type: 'separator' });
    expect(template.find((t) => t.id === 'attended')).toMatchObject({ type: 'checkbox', checked: true });
    for (const entry of template) (entry.click as (() => void) | undefined)?.();
    expect(clicked).toEqual(['pause', 'pause-1h', 'toggle-attended', 'open-status-window', 'run-local', 'toggle-open-at-login', 'drain-and-quit', 'quit']);
  });
});
