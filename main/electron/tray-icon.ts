import type { TrayState } from './tray-state.js';

export const TRAY_ICONS = ['idle', 'running', 'paused', 'offline', 'error'] as const;
export type TrayIconName = (typeof TRAY_ICONS)[number];

/**
 * The icon for a state. Order of precedence: a problem the user must fix (credential refused, storage
 * full) over being unreachable, over paused, over busy.
 */
export function trayIconName(state: TrayState): TrayIconName {
  if (state.connection === 'refused' || !state.storageOk) return 'error';
  if (state.connection !== 'connected') return 'offline';
  if (state.paused || state.draining) return 'paused';
  if (state.running > 0) return 'running';
  return 'idle';
}

/**
 * File of an icon inside the assets folder. macOS gets the monochrome template image (the menu bar tints
 * it for light and dark mode); Electron picks the `@2x` sibling itself on high-DPI screens.
 */
export function trayIconFile(name: TrayIconName, platform: NodeJS.Platform): string {
  return platform === 'darwin' ? `tray/${name}Template.png` : `tray/${name}.png`;
}
