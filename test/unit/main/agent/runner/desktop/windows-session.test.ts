import { describe, expect, it } from 'vitest';
import { inConsoleUserSession, NO_CREDENTIAL_STORE, WindowsDesktop, type WindowsDesktopOptions } from '../../../../../../main/agent/runner/desktop/windows-desktop.js';
import {
  CONSOLE_LAUNCH_PS,
  encodePowerShell,
  inConsoleSession,
  LAUNCH_COMMANDLINE_ENV,
  LAUNCH_CWD_ENV,
  parseWindowsConsoleUser,
  powershellPath,
  quoteWindowsArg,
  SCREENSHOT_PS,
  windowsScreenshotCommand,
} from '../../../../../../main/agent/runner/desktop/windows-session.js';
import type { LaunchPlan } from '../../../../../../main/agent/runner/flow-launch.js';
import { RunMode } from '../../../../../../shared/option-sets.js';
import { waitFor } from '../../../../../support/wait-for.js';

const PS = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
const PS_ARGS = ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand'];
const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf16le');

describe('Windows: command lines into the active console session', () => {
  it('quotes each argument as CommandLineToArgvW reads it back', () => {
    const cases: [string, string][] = [
      ['abc', 'abc'],
      ['C:\\a\\b.exe', 'C:\\a\\b.exe'],
      ['', '""'],
      ['a b', '"a b"'],
      ['a"b', '"a\\"b"'],
      ['a\\"b', '"a\\\\\\"b"'],
      ['C:\\dir with space\\', '"C:\\dir with space\\\\"'],
      ['tab\there', '"tab\there"'],
    ];
    for (const [arg, quoted] of cases) expect(quoteWindowsArg(arg)).toBe(quoted);
    expect(() => quoteWindowsArg('a\0b')).toThrow(/NUL/);
  });

  it('the launcher is Windows PowerShell by absolute path with a fixed script; the command line and variables go in its environment, never argv', () => {
    const cmd = inConsoleSession(['cmd.exe', '/d', '/c', 'C:\\w dir\\script.cmd'], 'C:\\w dir', { FLOWHOST_INPUT_PASSWORD: 'hunter2-SECRET' }, { SystemRoot: 'C:\\Windows' });
    expect(cmd.file).toBe(PS);
    expect(cmd.args.slice(0, -1)).toEqual(PS_ARGS);
    expect(decode(cmd.args.at(-1)!)).toBe(CONSOLE_LAUNCH_PS);
    expect(cmd.env).toEqual({ FLOWHOST_INPUT_PASSWORD: 'hunter2-SECRET', [LAUNCH_COMMANDLINE_ENV]: 'cmd.exe /d /c "C:\\w dir\\script.cmd"', [LAUNCH_CWD_ENV]: 'C:\\w dir' });
    expect(JSON.stringify(cmd.args)).not.toContain('hunter2');
    // The script takes the session's user token and starts the flow on the user's desktop with the agent's pipes.
    for (const call of ['WTSGetActiveConsoleSessionId', 'WTSQueryUserToken', 'CreateProcessAsUser', 'winsta0\\\\default', 'STARTF_USESTDHANDLES', `SetEnvironmentVariable('${LAUNCH_COMMANDLINE_ENV}', $null)`]) expect(CONSOLE_LAUNCH_PS).toContain(call);
  });

  it('a flow plan: started by the launcher, no Node uid/gid, its variables in the launcher\'s environment', () => {
    const plan = { file: 'C:\\node.exe', args: ['C:\\w\\script.mjs'], env: { A: '1' }, cwd: 'C:\\w', workDir: 'C:\\w', outputsFile: 'C:\\w\\o', files: [], flowEnv: { A: '1' }, uid: 5, gid: 5 } satisfies LaunchPlan;
    const out = inConsoleUserSession(plan, { SystemRoot: 'C:\\Windows' });
    expect([out.file, out.uid, out.gid, out.env[LAUNCH_COMMANDLINE_ENV], out.env['A']]).toEqual([PS, undefined, undefined, 'C:\\node.exe C:\\w\\script.mjs', '1']);
  });

  it('screenshots: CopyFromScreen as base64 PNG, directly inside the console session, else through the launcher', () => {
    expect(SCREENSHOT_PS).toContain('CopyFromScreen');
    const env = { SystemRoot: 'C:\\Windows', PATH: 'C:\\Windows\\System32', FLOWHOST_TOKEN: 'agent-secret' };
    const direct = windowsScreenshotCommand(true, env);
    expect([direct.file, direct.base64, decode(direct.args.at(-1)!)]).toEqual([PS, true, SCREENSHOT_PS]);
    expect(direct.env).toEqual({ SystemRoot: 'C:\\Windows', PATH: 'C:\\Windows\\System32' });
    const launched = windowsScreenshotCommand(false, env);
    expect(decode(launched.args.at(-1)!)).toBe(CONSOLE_LAUNCH_PS);
    expect(launched.env[LAUNCH_COMMANDLINE_ENV]).toBe(`${PS} ${PS_ARGS.join(' ')} ${encodePowerShell(SCREENSHOT_PS)}`);
  });

  it('PowerShell\'s path comes from SystemRoot only when it is a plain drive path; console user names are checked', () => {
    expect(powershellPath({ SystemRoot: 'D:\\Win' })).toBe('D:\\Win\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(powershellPath({ SystemRoot: 'C:\\x" & calc' })).toBe(PS);
    expect(powershellPath({ SystemRoot: '\\\\evil\\share' })).toBe(PS);
    expect(parseWindowsConsoleUser('PC01\\alice\r\n')).toBe('alice');
    for (const text of ['', '\r\n', 'PC01\\a"b', 'PC01\\a b', 'PC01\\' + 'x'.repeat(65)]) expect(parseWindowsConsoleUser(text)).toBeUndefined();
  });
});

describe('WindowsDesktop: which run modes it serves (the console user injected; the OS calls are reviewed only)', () => {
  const desktop = (o: Partial<WindowsDesktopOptions> & { console?: string }) =>
    new WindowsDesktop({ settings: { mode: 'auto' }, inConsoleSession: false, env: { SystemRoot: 'C:\\Windows' }, consoleUser: () => Promise.resolve(o.console), cacheMs: 0, ...o });
  const req = (runmode: number) => ({ sessionId: 's', runmode, workDir: 'C:\\w', recordServer: () => undefined });

  it('attended: the console user, learnt in the background; from the service through the launcher, from inside the session as it is', async () => {
    const d = desktop({ console: 'alice' });
    expect(d.attendedAvailable('alice')).toBe(false); // nothing known yet: the question runs in the background
    await waitFor(() => d.attendedAvailable('alice') || undefined, { what: 'the console user to be known' });
    expect(d.attendedAvailable('bob')).toBe(false);
    expect((await d.open(req(RunMode.v.Attended)))?.launch).toBeTypeOf('function');
    const inside = await desktop({ console: 'alice', inConsoleSession: true }).open(req(RunMode.v.Attended));
    expect(inside && inside.launch).toBeUndefined();
    await expect(desktop({}).open(req(RunMode.v.Attended))).rejects.toThrow(/nobody is signed in to the console session/);
  });

  it('unattended in a session of its own needs a credential store: unavailable with virtualDisplay on, as before otherwise', async () => {
    expect(desktop({ settings: { mode: 'on' } }).unattendedProblem()).toBe(NO_CREDENTIAL_STORE);
    await expect(desktop({ settings: { mode: 'on' } }).open(req(RunMode.v.Unattended))).rejects.toThrow(NO_CREDENTIAL_STORE);
    expect(desktop({}).unattendedProblem()).toBeUndefined();
    expect(await desktop({ console: 'alice' }).open(req(RunMode.v.Unattended))).toBeUndefined();
    expect(await desktop({ console: 'alice' }).open(req(RunMode.v.Local))).toBeUndefined();
  });
});
