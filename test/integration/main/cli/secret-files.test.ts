import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { disposeAfterTest } from '../../../support/dispose-after-test.js';
import { pathOnlyEnv, runFlowhost, startFlowhost, type FlowhostProcess } from '../../../support/flowhost-cli.js';
import { callApi, startTestOrchestrator } from '../../../support/orchestrator-harness.js';
import { LINUX, POSIX, skipUnlessOn } from '../../../support/requirements.js';
import { tempDir } from '../../../support/temp-dir.js';

const ADMIN_TOKEN = 'admin-token-from-a-file-0123456789';
const API_GROUP_PASSWORD = 'group-password-from-a-file-4711';
const ARGV_WARNING = /given on the command line \(--group-password\).*use --group-password-file/;

/** What other users of the machine see of a process: its argv as /proc shows it. */
const cmdline = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');

function secretFile(dir: string, name: string, content: string, mode = 0o600): string {
  const file = join(dir, name);
  writeFileSync(file, content, { mode });
  return file;
}

function started(p: FlowhostProcess): FlowhostProcess {
  return disposeAfterTest({ ...p, close: () => p.stop() });
}

async function orchestratorWithGroup() {
  const orch = disposeAfterTest(await startTestOrchestrator());
  const created = await orch.api('POST', 'flowmachinegroups', { name: 'g1', password: API_GROUP_PASSWORD, preferredqueuingtype: 1 });
  expect(created.status).toBe(204);
  return orch;
}

describe('flowhost agent: the group password from a file or stdin, never from argv unwarned', () => {
  it.skipIf(skipUnlessOn(LINUX, '/proc/<pid>/cmdline'))('--group-password-file: registers, /proc/<pid>/cmdline holds no secret, no warning', async () => {
    const orch = await orchestratorWithGroup();
    const dir = tempDir();
    const file = secretFile(dir, 'group-password', `${API_GROUP_PASSWORD}\n`);
    const agent = started(startFlowhost(['agent', '--orchestrator', orch.url, '--group', 'g1', '--group-password-file', file, '--data-dir', join(dir, 'data')], { env: pathOnlyEnv() }));
    await agent.waitForOutput(/registered as machine/);
    expect(cmdline(agent.pid)).toContain('--group-password-file');
    expect(cmdline(agent.pid)).not.toContain(API_GROUP_PASSWORD);
    expect(agent.output()).not.toMatch(ARGV_WARNING);
    expect(agent.output()).not.toMatch(/unencrypted/); // a loopback orchestrator
  });

  it("--group-password-file - reads it from standard input", async () => {
    const orch = await orchestratorWithGroup();
    const dir = tempDir();
    const agent = started(startFlowhost(['agent', '--orchestrator', orch.url, '--group', 'g1', '--group-password-file', '-', '--data-dir', join(dir, 'data')], { env: pathOnlyEnv(), stdin: `${API_GROUP_PASSWORD}\n` }));
    await agent.waitForOutput(/registered as machine/);
    expect(cmdline(agent.pid)).not.toContain(API_GROUP_PASSWORD);
  });

  it('FLOWHOST_GROUP_PASSWORD_FILE works too, and --group-password on argv gets a warning that does not hold it', async () => {
    const orch = await orchestratorWithGroup();
    const dir = tempDir();
    const file = secretFile(dir, 'group-password', API_GROUP_PASSWORD);
    const byEnv = started(startFlowhost(['agent', '--orchestrator', orch.url, '--group', 'g1', '--data-dir', join(dir, 'a')], { env: { ...pathOnlyEnv(), FLOWHOST_GROUP_PASSWORD_FILE: file } }));
    await byEnv.waitForOutput(/registered as machine/);

    const byArgv = started(startFlowhost(['agent', '--orchestrator', orch.url, '--group', 'g1', '--group-password', API_GROUP_PASSWORD, '--data-dir', join(dir, 'b')], { env: pathOnlyEnv() }));
    await byArgv.waitForOutput(/registered as machine/);
    expect(byArgv.output()).toMatch(ARGV_WARNING);
    expect(byArgv.output()).not.toContain(API_GROUP_PASSWORD);
    expect(byEnv.output()).not.toMatch(ARGV_WARNING);
  });

  it.skipIf(skipUnlessOn(POSIX, 'POSIX file modes'))('warns of a config file holding the group password that group or others may read (not of a 0600 one)', async () => {
    const orch = await orchestratorWithGroup();
    const dir = tempDir();
    const config = (name: string, mode: number) =>
      secretFile(dir, name, JSON.stringify({ schemaversion: 1, orchestrator: orch.url, group: 'g1', groupPassword: API_GROUP_PASSWORD, dataDir: `data-${name}` }), mode);
    const shared = config('shared.json', 0o644);
    const open = started(startFlowhost(['agent', '--config', shared], { env: pathOnlyEnv() }));
    await open.waitForOutput(/registered as machine/);
    expect(open.output()).toContain(`config file ${shared} holds the group password and may be read by group or others (mode 0644)`);
    expect(open.output()).not.toContain(API_GROUP_PASSWORD);

    const closed = started(startFlowhost(['agent', '--config', config('private.json', 0o600)], { env: pathOnlyEnv() }));
    await closed.waitForOutput(/registered as machine/);
    expect(closed.output()).not.toMatch(/may be read by group or others/);
  });

  it('a missing or empty password file is a clear usage error (exit 2) before anything starts', async () => {
    const dir = tempDir();
    const args = (file: string) => ['agent', '--orchestrator', 'http://127.0.0.1:9', '--group', 'g1', '--group-password-file', file, '--data-dir', join(dir, 'data')];
    const missing = await runFlowhost(args(join(dir, 'nope')), { env: pathOnlyEnv(), timeoutMs: 60_000 });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read the group password file from ${join(dir, 'nope')}: ENOENT`);
    const empty = await runFlowhost(args(secretFile(dir, 'empty', '\n')), { env: pathOnlyEnv(), timeoutMs: 60_000 });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`the group password file ${join(dir, 'empty')} is empty`);
  });
});

describe('flowhost orchestrator: the admin token from a file or stdin', () => {
  const ready = /Web API (http\S+)\/api\/data\/v9\.2\//;
  const startOrchestratorCli = (args: string[], o: { stdin?: string; env?: Record<string, string> } = {}) =>
    started(startFlowhost(['orchestrator', '--port', '0', '--data-dir', join(tempDir(), 'orch'), ...args], { env: { ...pathOnlyEnv(), ...o.env }, ...(o.stdin ? { stdin: o.stdin } : {}) }));
  const urlOf = async (p: FlowhostProcess) => ready.exec(await p.waitForOutput(ready))![1]!;

  it.skipIf(skipUnlessOn(LINUX, '/proc/<pid>/cmdline'))('--admin-token-file: serves with that token, /proc/<pid>/cmdline holds no secret, no warning', async () => {
    const file = secretFile(tempDir(), 'admin-token', `${ADMIN_TOKEN}\n`);
    const orch = startOrchestratorCli(['--admin-token-file', file]);
    const url = await urlOf(orch);
    expect((await callApi(url, ADMIN_TOKEN, 'GET', 'flowmachinegroups', undefined)).status).toBe(200);
    expect((await callApi(url, 'some-other-token-0123456789', 'GET', 'flowmachinegroups', undefined)).status).toBe(401);
    expect(cmdline(orch.pid)).not.toContain(ADMIN_TOKEN);
    expect(orch.output()).toContain(`admin token: from --admin-token-file ${file}`);
    expect(orch.output()).not.toMatch(/command line/);
  });

  it("--admin-token-file - and FLOWHOST_ADMIN_TOKEN_FILE", async () => {
    const fromStdin = startOrchestratorCli(['--admin-token-file', '-'], { stdin: `${ADMIN_TOKEN}\n` });
    expect((await callApi(await urlOf(fromStdin), ADMIN_TOKEN, 'GET', 'flowmachinegroups', undefined)).status).toBe(200);
    const fromEnv = startOrchestratorCli([], { env: { FLOWHOST_ADMIN_TOKEN_FILE: secretFile(tempDir(), 'admin-token', ADMIN_TOKEN) } });
    expect((await callApi(await urlOf(fromEnv), ADMIN_TOKEN, 'GET', 'flowmachinegroups', undefined)).status).toBe(200);
  });

  it('--admin-token on argv gets a warning that does not hold it', async () => {
    const orch = startOrchestratorCli(['--admin-token', ADMIN_TOKEN]);
    await urlOf(orch);
    expect(orch.output()).toMatch(/given on the command line \(--admin-token\).*use --admin-token-file/);
    expect(orch.output()).not.toContain(ADMIN_TOKEN);
  });

  it('a missing or empty token file is a clear usage error (exit 2)', async () => {
    const dir = tempDir();
    const run = (file: string) => runFlowhost(['orchestrator', '--port', '0', '--data-dir', join(dir, 'orch'), '--admin-token-file', file], { env: pathOnlyEnv(), timeoutMs: 60_000 });
    const missing = await run(join(dir, 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read the admin token file (--admin-token-file) from ${join(dir, 'nope')}: ENOENT`);
    const empty = await run(secretFile(dir, 'empty', ''));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`the admin token file (--admin-token-file) ${join(dir, 'empty')} is empty`);
  });
});
