import type { DisplaySettings } from '../../config/display-settings.js';
import type { GraphicalSessionSource } from './graphical-session.js';
import { LinuxDesktop } from './linux-desktop.js';
import type { SessionDesktop } from './session-display.js';

/**
 * The SessionDesktop of this OS. Linux only for now; macOS (`launchctl asuser` into the console user's GUI session)
 * and Windows (the active console session; a new session for Unattended) are the design in docs/desktop.md, and until
 * they are built flows there run as before: on whatever display the agent's own session has.
 */
export function desktopForPlatform(settings: DisplaySettings, graphical: GraphicalSessionSource, platform: NodeJS.Platform = process.platform): SessionDesktop | undefined {
  return platform === 'linux' ? new LinuxDesktop({ settings, graphical }) : undefined;
}
