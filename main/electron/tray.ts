import { join } from 'node:path';
import { Menu, Tray, nativeImage } from 'electron';
import { trayIconFile, trayIconName, type TrayIconName } from './tray-icon.js';
import { statusLine, trayMenu, type TrayAction } from './tray-menu.js';
import type { TrayState } from './tray-state.js';
import { menuTemplate } from './tray-template.js';

export interface TrayControllerOptions {
  readonly assetsDir: string;
  readonly onAction: (action: TrayAction) => void;
}

/** The tray icon and its menu, redrawn from a TrayState. */
export class TrayController {
  private readonly tray: Tray;
  private icon: TrayIconName | undefined;

  constructor(
    private readonly options: TrayControllerOptions,
    initial: TrayState,
  ) {
    this.tray = new Tray(this.image(trayIconName(initial)));
    this.update(initial);
  }

  update(state: TrayState): void {
    const icon = trayIconName(state);
    if (icon !== this.icon) {
      this.icon = icon;
      this.tray.setImage(this.image(icon));
    }
    this.tray.setToolTip(`flowhost: ${statusLine(state)}`);
    this.tray.setContextMenu(Menu.buildFromTemplate(menuTemplate(trayMenu(state), this.options.onAction)));
  }

  destroy(): void {
    this.tray.destroy();
  }

  private image(name: TrayIconName) {
    // createFromPath picks the @2x sibling itself; a name ending in Template marks a macOS template image.
    return nativeImage.createFromPath(join(this.options.assetsDir, trayIconFile(name, process.platform)));
  }
}
