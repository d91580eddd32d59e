import { readFileSync, rmSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inGuiSession, MacDesktop, NOBODY_AT_CONSOLE, type MacDesktopOptions } from '../../../../../../main/agent/runner/desktop/macos-desktop.js';
import { asConsoleUser, parseConsoleOwner, screencaptureCommand, type ConsoleUser } from '../../../../../../main/agent/runner/desktop/macos-session.js';
import { prepareLaunch } from '../../../../../../main/agent/runner/flow-launch.js';
import { lookupUser } from '../../../../../../main/agent/process/session-user.js';
import { RunMode } from '../../../../../../shared/option-sets.js';
import { isRoot, skipUnless } from '../../../../../support/requirements.js';
import { tempDir } from '../../../../../support/temp-dir.js';

const alice: ConsoleUser = { name: 'alice', uid: 501 };
const APPLY_ENV = 'unset PWD; set -a; . "$0"; set +a; exec "$@"';

describe('macOS: the console user', () => {
  it('is the owner of /dev/console unless that is the login window or Setup Assistant; odd output or names are nobody', () => {
    expect(parseConsoleOwner('501 alice\n')).toEqual(alice);
    for (const text of ['0 root\n', '248 _mbsetupuser\n', '501 loginwindow\n', '', '501 -rf\n', '501 a b\n', 'alice 501\n', '501 ../x\n']) expect(parseConsoleOwner(text)).toBeUndefined();
  });
});

describe('macOS: command lines into the console user\'s GUI session', () => {
  it('attended as the agent (root): launchctl asuser <uid> runs the flow as it is', () => {
    expect(asConsoleUser(alice, undefined, { file: 'bash', args: ['/tmp/w/script.sh'] })).toEqual({ file: '/bin/launchctl', args: ['asuser', '501', 'bash', '/tmp/w/script.sh'] });
  });

  it('as the session user: launchctl asuser, sudo -n -u <name>, and a shell that reads the variables from the env file', () => {
    const user = { name: 'alice', uid: 501, gid: 20, groups: [20], home: '/Users/alice' };
    expect(asConsoleUser(alice, { user, envFile: '/tmp/w/env.sh' }, { file: 'bash', args: ['/tmp/w/script.sh'] })).toEqual({
      file: '/bin/launchctl',
      args: ['asuser', '501', '/usr/bin/sudo', '-n', '-u', 'alice', '--', '/bin/sh', '-c', APPLY_ENV, '/tmp/w/env.sh', 'bash', '/tmp/w/script.sh'],
    });
    expect(() => asConsoleUser(alice, { user: { ...user, name: 'bob', uid: 502 }, envFile: '/e' }, { file: 'x', args: [] })).toThrow(/not the console user/);
    expect(() => asConsoleUser({ name: '-u', uid: 501 }, undefined, { file: 'x', args: [] })).toThrow(/not a console user/);
    expect(() => asConsoleUser({ name: 'root', uid: 0 }, undefined, { file: 'x', args: [] })).toThrow(/not a console user/);
  });

  it('screencapture runs as the console user in their session and cats the PNG to the agent\'s pipe', () => {
    const shot = 'd=$(/usr/bin/mktemp -d) || exit 1; /usr/sbin/screencapture -x -t png "$d/s.png" && /bin/cat "$d/s.png"; s=$?; /bin/rm -rf "$d"; exit $s';
    expect(screencaptureCommand(alice, true)).toEqual({ file: '/bin/sh', args: ['-c', shot], env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' } });
    expect(screencaptureCommand(alice, false).args).toEqual(['asuser', '501', '/usr/bin/sudo', '-n', '-u', 'alice', '--', '/bin/sh', '-c', shot]);
  });

  it.skipIf(skipUnless(isRoot && lookupUser('nobody') !== undefined, 'root and user nobody'))('a run as the session user: no secret in argv, the variables in an env file of the user\'s (0600), no Node uid/gid', () => {
    const nobody = lookupUser('nobody')!;
    const plan = prepareLaunch({
      sessionId: 's1',
      flow: { schemaversion: 1, kind: 'shell', shell: 'sh', script: 'echo hi' },
      inputs: JSON.stringify({ Password: 'hunter2-SECRET' }),
      dataDir: tempDir(),
      user: nobody,
      setprivPath: null, // as on macOS: no setpriv
    });
    try {
      expect(plan.uid).toBe(nobody.uid);
      const gui = inGuiSession(plan, { name: 'nobody', uid: nobody.uid }, nobody);
      expect(gui.file).toBe('/bin/launchctl');
      expect(JSON.stringify(gui.args)).not.toContain('hunter2-SECRET');
      expect([gui.env, gui.uid, gui.gid]).toEqual([{}, undefined, undefined]);
      const envFile = gui.envFile!;
      expect(gui.args.slice(0, 12)).toEqual(['asuser', String(nobody.uid), '/usr/bin/sudo', '-n', '-u', 'nobody', '--', '/bin/sh', '-c', APPLY_ENV, envFile, 'sh']);
      expect(readFileSync(envFile, 'utf8')).toContain("FLOWHOST_INPUT_PASSWORD='hunter2-SECRET'");
      const file = statSync(envFile);
      expect([file.mode & 0o777, file.uid]).toEqual([0o600, nobody.uid]);
    } finally {
      rmSync(plan.workDir, { recursive: true, force: true });
    }
  });
});

describe('MacDesktop: which run modes it serves (the console user injected; the OS calls are reviewed only)', () => {
  const desktop = (o: Partial<MacDesktopOptions> & { console?: ConsoleUser }) =>
    new MacDesktop({ settings: { mode: 'auto' }, agentUser: 'root', agentUid: 0, consoleUser: () => o.console, cacheMs: 0, ...o });
  const req = (runmode: number, user?: { name: string; uid: number }) => ({ sessionId: 's', runmode, workDir: '/w', recordServer: () => undefined, ...(user ? { user: { ...user, gid: 20, groups: [], home: '/h' } } : {}) });

  it('attended: only the console user is signed in for it; root starts the flow through launchctl, the console user\'s own agent needs nothing', async () => {
    expect(desktop({ console: alice }).attendedAvailable('alice')).toBe(true);
    expect(desktop({ console: alice }).attendedAvailable('bob')).toBe(false);
    expect(desktop({}).attendedAvailable('alice')).toBe(false);
    expect((await desktop({ console: alice }).open(req(RunMode.v.Attended)))?.launch).toBeTypeOf('function');
    const own = await desktop({ console: alice, agentUser: 'alice', agentUid: 501 }).open(req(RunMode.v.Attended));
    expect(own && own.launch).toBeUndefined();
    await expect(desktop({ console: alice, agentUid: 502 }).open(req(RunMode.v.Attended))).rejects.toThrow(/neither root nor the console user/);
    await expect(desktop({}).open(req(RunMode.v.Attended))).rejects.toThrow(/nobody is signed in at the console/);
  });

  it('unattended needs the console user signed in with virtualDisplay on (the queue reason), runs as before with auto, and only as the console user', async () => {
    expect(desktop({ settings: { mode: 'on' } }).unattendedProblem()).toBe(NOBODY_AT_CONSOLE);
    expect(desktop({ settings: { mode: 'on' }, console: alice }).unattendedProblem()).toBeUndefined();
    expect(desktop({}).unattendedProblem()).toBeUndefined();
    await expect(desktop({ settings: { mode: 'on' } }).open(req(RunMode.v.Unattended, alice))).rejects.toThrow(NOBODY_AT_CONSOLE);
    await expect(desktop({ settings: { mode: 'on' }, console: alice }).open(req(RunMode.v.Unattended, { name: 'bob', uid: 502 }))).rejects.toThrow(/bob is not the console user alice/);
    expect(await desktop({ console: alice }).open(req(RunMode.v.Unattended, { name: 'bob', uid: 502 }))).toBeUndefined();
    expect((await desktop({ console: alice }).open(req(RunMode.v.Unattended, alice)))?.launch).toBeTypeOf('function');
    expect(await desktop({ settings: { mode: 'off' }, console: alice }).open(req(RunMode.v.Unattended, alice))).toBeUndefined();
    expect(await desktop({ console: alice }).open(req(RunMode.v.Local))).toBeUndefined();
  });
});
