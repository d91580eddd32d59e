import { describe, expect, it } from 'vitest';
import { appMode, CLI_FLAG, selfCliCommand } from '../../../../main/electron/app-mode.js';
import { appCliProgram } from '../../../../main/electron/app-cli.js';

describe('appMode', () => {
  it('routes `<app> --flowhost-cli …` to the CLI with everything after the flag, packaged or not', () => {
    expect(appMode(['C:\\Program Files\\flowhost\\flowhost.exe', CLI_FLAG, 'service', 'install', '--user', 'svc'], true)).toEqual({
      kind: 'cli',
      args: ['service', 'install', '--user', 'svc'],
    });
    expect(appMode(['/usr/lib/electron', '/repo/dist/electron/main.mjs', CLI_FLAG, 'run', 'flow.json'], false)).toEqual({ kind: 'cli', args: ['run', 'flow.json'] });
    expect(appMode(['/Applications/flowhost.app/Contents/MacOS/flowhost', CLI_FLAG], true)).toEqual({ kind: 'cli', args: [] });
  });

  it('starts the tray otherwise, also when the flag comes later (a Chromium switch, a file name)', () => {
    expect(appMode(['flowhost.exe'], true)).toEqual({ kind: 'tray' });
    expect(appMode(['flowhost.exe', '--enable-logging', CLI_FLAG, 'run', 'x.json'], true)).toEqual({ kind: 'tray' });
    expect(appMode(['electron', 'main.mjs'], false)).toEqual({ kind: 'tray' });
    // Unpackaged, argv[1] is the main script: the flag there is not the CLI's.
    expect(appMode(['electron', CLI_FLAG, 'run'], false)).toEqual({ kind: 'tray' });
  });
});

describe('selfCliCommand', () => {
  it('is the executable and the flag when packaged, with the main script in between when not', () => {
    expect(selfCliCommand({ execPath: 'C:\\flowhost\\flowhost.exe', argv: ['C:\\flowhost\\flowhost.exe'], isPackaged: true })).toEqual(['C:\\flowhost\\flowhost.exe', CLI_FLAG]);
    expect(selfCliCommand({ execPath: '/e/electron', argv: ['/e/electron', '/repo/dist/electron/main.mjs', '--x'], isPackaged: false })).toEqual([
      '/e/electron',
      '/repo/dist/electron/main.mjs',
      CLI_FLAG,
    ]);
    expect(() => selfCliCommand({ execPath: '/e/electron', argv: ['/e/electron'], isPackaged: false })).toThrow(/main script/);
  });
});

describe('the app CLI', () => {
  it('offers the agent commands only: no orchestrator and no demo in the app', () => {
    const names = appCliProgram({ self: ['/opt/flowhost/flowhost', CLI_FLAG], version: '0.1.0' }).commands.map((c) => c.name());
    expect(names.sort()).toEqual(['agent', 'run', 'service', 'status']);
  });
});
