import type { DisplaySettings } from '../../config/display-settings.js';
import type { GraphicalSessionSource } from './graphical-session.js';
import { LinuxDesktop } from './linux-desktop.js';
import { MacDesktop } from './macos-desktop.js';
import type { SessionDesktop } from './session-display.js';
import { WindowsDesktop } from './windows-desktop.js';

/**
 * The SessionDesktop of this OS (docs/desktop.md): Linux (Xvfb per unattended session, the signed-in user's display
 * for attended), macOS (the console user's GUI session through `launchctl asuser`), Windows (the active console
 * session through CreateProcessAsUser). Elsewhere none: flows run on whatever display the agent's own session has.
 * Nothing here asks the OS anything; each desktop asks when it is first used.
 */
export function desktopForPlatform(
  settings: DisplaySettings,
  graphical: GraphicalSessionSource,
  platform: NodeJS.Platform = process.platform,
  agentUid: number = process.getuid?.() ?? -1,
): SessionDesktop | undefined {
  switch (platform) {
    case 'linux':
      return new LinuxDesktop({ settings, graphical });
    case 'darwin':
      return new MacDesktop({ settings, agentUser: graphical.agentUser, agentUid });
    case 'win32':
      // SESSIONNAME is set in interactive sessions only (Console, RDP-Tcp#n); a service in session 0 has none.
      return new WindowsDesktop({ settings, env: graphical.env, inConsoleSession: graphical.env['SESSIONNAME'] === 'Console' });
    default:
      return undefined;
  }
}
