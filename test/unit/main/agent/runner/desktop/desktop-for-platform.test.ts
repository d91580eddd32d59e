import { describe, expect, it } from 'vitest';
import { DEFAULT_DISPLAY_SETTINGS } from '../../../../../../main/agent/config/display-settings.js';
import { desktopForPlatform } from '../../../../../../main/agent/runner/desktop/desktop-for-platform.js';
import { LinuxDesktop } from '../../../../../../main/agent/runner/desktop/linux-desktop.js';
import { MacDesktop } from '../../../../../../main/agent/runner/desktop/macos-desktop.js';
import { WindowsDesktop } from '../../../../../../main/agent/runner/desktop/windows-desktop.js';

describe('desktopForPlatform: one SessionDesktop per OS, chosen in one place', () => {
  it('Linux, macOS and Windows get theirs; other OSes none (flows run on the agent\'s own display, as before)', () => {
    const graphical = { env: {}, agentUser: 'root', loginctl: null };
    const of = (platform: NodeJS.Platform) => desktopForPlatform(DEFAULT_DISPLAY_SETTINGS, graphical, platform, 0);
    expect(of('linux')).toBeInstanceOf(LinuxDesktop);
    expect(of('darwin')).toBeInstanceOf(MacDesktop);
    expect(of('win32')).toBeInstanceOf(WindowsDesktop);
    expect(of('freebsd')).toBeUndefined();
    expect(of('aix')).toBeUndefined();
  });
});
