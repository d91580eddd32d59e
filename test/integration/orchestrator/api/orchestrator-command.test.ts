import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCallbackReceiver } from '../../../support/callback-receiver.js';
import { envWithoutFlowhost, FLOWHOST_BIN } from '../../../support/flowhost-cli.js';
import { POSIX, skipUnlessOn } from '../../../support/requirements.js';
import { tempDir as newTempDir } from '../../../support/temp-dir.js';
import { waitFor } from '../../../support/wait-for.js';

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

/** These end the child with SIGTERM and expect its clean exit 0: POSIX signals. */
const posixSignals = skipUnlessOn(POSIX, 'a clean exit on SIGTERM/SIGINT');

describe('flowhost orchestrator', () => {
  it.skipIf(posixSignals)('prints the URL and a new token once, serves the API, and exits 0 on SIGTERM', async () => {
    const dataDir = join(tempDir(), 'orch');
    const p = start(['--port', '0', '--data-dir', dataDir]);
    const [, url] = await p.line(/Web API (http:\/\/127\.0\.0\.1:\d+)\/api\/data\/v9\.2\//);
    const [, token] = await p.line(/new admin token \(shown once, kept in .*admin-token\): (\S+)/);
    expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
    const ok = await fetch(`${url}/api/data/v9.2/workflows`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect((await fetch(`${url}/api/data/v9.2/workflows`)).status).toBe(401);
    // Where the metrics token is, never the token itself.
    const [, metricsFile] = await p.line(/metrics: http:\/\/127\.0\.0\.1:\d+\/metrics \(read-only token in (.*metrics-token)\)/);
    const metricsToken = readFileSync(metricsFile!, 'utf8').trim();
    expect(p.out().stdout).not.toContain(metricsToken);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).status).toBe(200);
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
      [['--trust-proxy', 'not-an-address', '--port', '0', '--data-dir', tempDir()], "--trust-proxy takes proxy addresses/CIDRs (or loopback, linklocal, uniquelocal), got 'not-an-address'"],
    ] as const) {
      const p = start([...args]);
      expect(await p.exited, args.join(' ')).toBe(2);
      expect(p.out().stderr).toContain(text);
    }
  });

  it.skipIf(posixSignals).each([
    ['ignores X-Forwarded-For by default', [], {}, true],
    ['honours it from a loopback proxy with --trust-proxy', ['--trust-proxy'], {}, false],
    ['honours it from the proxies listed in FLOWHOST_TRUST_PROXY', [], { FLOWHOST_TRUST_PROXY: '127.0.0.1' }, false],
  ] as const)('%s', async (_what, flags, env, counted) => {
    const p = start(['--port', '0', '--data-dir', join(tempDir(), 'orch'), ...flags], env);
    const [, url] = await p.line(/Web API (http:\/\/127\.0\.0\.1:\d+)\/api\/data\/v9\.2\//);
    const [, token] = await p.line(/new admin token \(shown once, kept in .*admin-token\): (\S+)/);
    const group = await fetch(`${url}/api/data/v9.2/flowmachinegroups`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'g1', password: 'group-password-1' }) });
    expect(group.status).toBeLessThan(300);
    const wrong = async (xff: string) => {
      const res = await fetch(`${url}/agent/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': xff }, body: JSON.stringify({ group: 'g1', password: 'wrong', name: 'm' }) });
      expect(res.status).toBe(401);
      return ((await res.json()) as { error: { message: string } }).error.message;
    };
    // 10 failures (the free ones) claim one address; an 11th claims another: slowed only when both count as 127.0.0.1.
    for (let i = 0; i < 10; i++) await wrong('198.51.100.1');
    const other = await wrong('203.0.113.9');
    if (counted) expect(other).toMatch(/answered after 500 ms: 11 failures for this group from your address/);
    else expect(other).toBe('unknown group or wrong password');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 30_000);

  it.skipIf(posixSignals).each([
    ['--callback-allow', ['--callback-allow', '127.0.0.1'], {}],
    ['FLOWHOST_CALLBACK_ALLOW', [], { FLOWHOST_CALLBACK_ALLOW: 'receiver.invalid, 127.0.0.1' }],
  ] as const)('takes the agent\'s callback allow-list (%s): its callback and re-send reach an allowed http receiver', async (_what, flags, env) => {
    const receiver = await startCallbackReceiver();
    try {
      const p = start(['--port', '0', '--data-dir', join(tempDir(), 'orch'), ...flags], env);
      const [, url] = await p.line(/Web API (http:\/\/127\.0\.0\.1:\d+)\/api\/data\/v9\.2\//);
      const [, token] = await p.line(/new admin token \(shown once, kept in .*admin-token\): (\S+)/);
      const api = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${url}/api/data/v9.2/${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'return=representation' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect(res.status, `${method} ${path}: ${res.status}`).toBeLessThan(300);
        return res.status === 204 ? {} : ((await res.json()) as Record<string, string>);
      };
      const group = await api('POST', 'flowmachinegroups', { name: 'g1', password: 'group-password-1' });
      const workflow = await api('POST', 'workflows', { name: 'w', clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['node', '-e', '0'] }) });
      const session = await api('POST', 'flowsessions', {
        'regardingobjectid@odata.bind': `/workflows(${workflow['workflowid']})`,
        'machinegroupid@odata.bind': `/flowmachinegroups(${group['flowmachinegroupid']})`,
        callbackurl: receiver.url('/cb'),
      });
      // No machine: the orchestrator ends the session itself and sends its callback, then sends it again when asked.
      await api('POST', `flowsessions(${session['flowsessionid']})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`);
      await waitFor(() => receiver.to('/cb').length === 1, { what: 'the callback of the cancelled session' });
      await api('POST', `flowsessions(${session['flowsessionid']})/Microsoft.Dynamics.CRM.TriggerDesktopFlowRunCallback`);
      await waitFor(() => receiver.to('/cb').length === 2, { what: 'the re-sent callback' });
      const [first, again] = receiver.to('/cb');
      expect(first!.status).toBe(200);
      expect(again!.body).toBe(first!.body);
      expect(JSON.parse(first!.body)).toMatchObject({ flowsessionid: session['flowsessionid'], statuscode: 7 });
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      await receiver.close();
    }
  }, 30_000);
});
