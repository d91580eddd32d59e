import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/** `flowhost orchestrator` as a real child process (main/cli.ts → orchestrator/). */
const bin = join(resolve(import.meta.dirname, '../../../..'), 'bin/flowhost.js');
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FLOWHOST_')));
  const child = spawn(process.execPath, [bin, 'orchestrator', ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'flowhost-cli-orch-'));
  dirs.push(d);
  return d;
}

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
