import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { envWithoutFlowhost, FLOWHOST_BIN } from '../../../support/flowhost-cli.js';
import { tempDir as newTempDir } from '../../../support/temp-dir.js';

/** `flowhost orchestrator` as a real child process (main/cli.ts → orchestrator/). */
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [FLOWHOST_BIN, 'orchestrator', ...args], { env: { ...envWithoutFlowhost(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const line = (re: RegExp) =>
    new Promise<RegExpExecArray>((res, rej) => {
      const check = () => {
        const m = re.exec(stdout);
        if (m) res(m);
      };
      child.stdout!.on('data', check);
      void exited.then(() => rej(new Error(`exited before printing ${re}: ${stdout}\n${stderr}`)));
      check();
    });
  return { child, exited, line, out: () => ({ stdout, stderr }) };
}

const tempDir = () => newTempDir('flowhost-cli-orch-');

describe('flowhost orchestrator', () => {
  it('prints the URL and a new token once, serves the API, and exits 0 on SIGTERM', async () => {
    const dataDir = join(tempDir(), 'orch');
    const p = start(['--port', '0', '--data-dir', dataDir]);
    const [, url] = await p.line(/Web API (http:\/\/127\.0\.0\.1:\d+)\/api\/data\/v9\.2\//);
    const [, token] = await p.line(/new admin token \(shown once, kept in .*admin-token\): (\S+)/);
    expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
    const ok = await fetch(`${url}/api/data/v9.2/workflows`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect((await fetch(`${url}/api/data/v9.2/workflows`)).status).toBe(401);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.out().stdout).not.toMatch(/"authorization"/i);

    const again = start(['--port', '0', '--data-dir', dataDir]);
    await again.line(/admin token: in .*admin-token/);
    expect(again.out().stdout).not.toContain(token);
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
  });

  it('bad flags exit 2 with a clear error', async () => {
    for (const [args, text] of [
      [['--port', '70000'], 'port must be an integer 0..65535'],
      [['--port', '1.5'], 'port must be an integer 0..65535'],
      [['--admin-token', 'short', '--port', '0', '--data-dir', tempDir()], 'at least 16 characters'],
    ] as const) {
      const p = start([...args]);
      expect(await p.exited, args.join(' ')).toBe(2);
      expect(p.out().stderr).toContain(text);
    }
  });
});
