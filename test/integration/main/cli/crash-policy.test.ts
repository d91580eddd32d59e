import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../../main/commands/exit-codes.js';
import { dataDirFiles } from '../../../../main/agent/config/data-dir.js';
import { disposeAfterTest } from '../../../support/dispose-after-test.js';
import { FLOWHOST_BIN } from '../../../support/flowhost-cli.js';
import { API_GROUP_PASSWORD, createGroup, startApiOrchestrator } from '../../../support/api-harness.js';
import { registerTestMachine } from '../../../support/real-agent.js';
import { POSIX, skipUnlessOn } from '../../../support/requirements.js';
import { tempDir } from '../../../support/temp-dir.js';

const CRASH_ON_SIGNAL = fileURLToPath(new URL('../../../fixtures/crash-on-signal.mjs', import.meta.url));

/**
 * Runs `flowhost <args>` as a real process with the crash fixture preloaded; once `ready` matches its output, SIGUSR2
 * makes it throw (or reject) from a timer. Resolves with the exit code and everything it printed.
 */
async function crash(args: string[], ready: RegExp, kind: 'throw' | 'reject'): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', CRASH_ON_SIGNAL, FLOWHOST_BIN, ...args], {
    env: { PATH: process.env['PATH'] ?? '', CRASH_POLICY_TEST: kind },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let output = '';
  await new Promise<void>((ok, fail) => {
    const onData = (c: Buffer) => {
      output += c.toString();
      if (ready.test(output)) ok();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(([code]) => fail(new Error(`flowhost exited (${code}) before it was ready:\n${output}`)));
  });
  child.kill('SIGUSR2');
  const [code] = await exited;
  return { code, output };
}

describe.skipIf(skipUnlessOn(POSIX, 'SIGUSR2 (the fixture crashes on it)'))('the crash policy: an exception or a rejection no code handled is logged with its stack, then exit 70', () => {
  for (const kind of ['throw', 'reject'] as const) {
    it(`flowhost agent (${kind}): an error line with the stack in agent.log and on stderr, exit ${ExitCode.Crashed} for the service manager to restart it`, async () => {
      const orch = disposeAfterTest(await startApiOrchestrator());
      await createGroup(orch, 'g1');
      const dataDir = tempDir('flowhost-crash-agent-');
      // Registered beforehand: the agent starts on the credential in its data dir.
      await registerTestMachine(orch.url, { group: 'g1', groupPassword: API_GROUP_PASSWORD, name: `crash-${kind}`, dataDir });
      const { code, output } = await crash(['agent', '--data-dir', dataDir], /agent \S+ started/, kind);
      expect(code, output).toBe(ExitCode.Crashed);
      const message = kind === 'throw' ? 'crash-policy test: thrown in a timer' : 'crash-policy test: a rejection nobody handles';
      const log = dataDirFiles(dataDir).agentLog;
      expect(existsSync(log)).toBe(true);
      const lines = readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; message: string });
      const crashLine = lines.find((l) => l.message.includes(message));
      expect(crashLine?.level).toBe('error');
      expect(crashLine?.message).toMatch(new RegExp(`^agent crashed \\((uncaughtException|unhandledRejection)\\): Error: ${message}\\n\\s+at `));
      expect(output).toContain(message);
    }, 60_000);
  }

  it(`flowhost orchestrator: an error line with the stack on its log, exit ${ExitCode.Crashed}`, async () => {
    const dataDir = tempDir('flowhost-crash-orch-');
    const { code, output } = await crash(['orchestrator', '--port', '0', '--data-dir', join(dataDir, 'o')], /flowhost orchestrator: Web API/, 'throw');
    expect(code, output).toBe(ExitCode.Crashed);
    const crashLine = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; message: string })
      .find((l) => l.message.includes('crash-policy test: thrown in a timer'));
    expect(crashLine?.level).toBe('error');
    expect(crashLine?.message).toMatch(/^orchestrator crashed \(uncaughtException\): Error: crash-policy test: thrown in a timer\n\s+at /);
  }, 60_000);
});
