import { describe, expect, it } from 'vitest';
import { findGraphicalSession, graphicalEnvOf, parseProperties, sessionsOf } from '../../../../../../main/agent/runner/desktop/graphical-session.js';

const LISTING = ['     2 1000 alice seat0 tty2', '     5    0 root        pts/0', 'c1 1001 bob seat0 tty3', 'x; 1000 alice'].join('\n');
const props = (text: string) => parseProperties(text);

describe('the signed-in user\'s graphical session', () => {
  it('is taken from the agent\'s own environment when the agent runs as that user inside it (the tray app)', () => {
    const env = { DISPLAY: ':0', XAUTHORITY: '/run/user/1000/gdm/Xauthority', HOME: '/home/alice', FLOWHOST_GROUP_PASSWORD: 'x' };
    expect(findGraphicalSession('alice', { env, agentUser: 'alice', loginctl: null })).toEqual({ DISPLAY: ':0', XAUTHORITY: '/run/user/1000/gdm/Xauthority' });
    // Another user's session is not the agent's environment; without logind there is none.
    expect(findGraphicalSession('bob', { env, agentUser: 'alice', loginctl: null })).toBeUndefined();
    expect(findGraphicalSession('alice', { env: { HOME: '/home/alice' }, agentUser: 'alice', loginctl: null })).toBeUndefined();
  });

  it('is found in logind: the user\'s sessions in the listing, an active local x11 or wayland one', () => {
    expect(sessionsOf(LISTING, 'alice')).toEqual(['2']);
    expect(sessionsOf(LISTING, 'bob')).toEqual(['c1']);
    expect(graphicalEnvOf(props('Type=x11\nDisplay=:1\nActive=yes\nRemote=no\nUser=1000\n'), () => [])).toEqual({ XDG_SESSION_TYPE: 'x11', DISPLAY: ':1', XDG_RUNTIME_DIR: '/run/user/1000' });
    expect(graphicalEnvOf(props('Type=wayland\nDisplay=\nActive=yes\nRemote=no\nUser=1000'), () => ['bus', 'wayland-0.lock', 'wayland-0'])).toEqual({
      XDG_SESSION_TYPE: 'wayland',
      XDG_RUNTIME_DIR: '/run/user/1000',
      WAYLAND_DISPLAY: 'wayland-0',
    });
    expect(graphicalEnvOf(props('Type=tty\nActive=yes\nRemote=no\nUser=1000'), () => [])).toBeUndefined();
    expect(graphicalEnvOf(props('Type=x11\nDisplay=:1\nActive=no\nRemote=no\nUser=1000'), () => [])).toBeUndefined();
    expect(graphicalEnvOf(props('Type=x11\nDisplay=:1\nActive=yes\nRemote=yes\nUser=1000'), () => [])).toBeUndefined();
    // A display value that is not a local display number is not passed on.
    expect(graphicalEnvOf(props('Type=x11\nDisplay=evil:0;rm\nActive=yes\nRemote=no\nUser=1000'), () => [])).toBeUndefined();
  });
});
