import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { AgentCredentials } from '../../../main/agent/agent.js';
import { writeCredentials } from '../../../main/agent/registration/credentials.js';
import { isBuildFresh } from '../../../scripts/build-meta.mjs';
import { API_GROUP_PASSWORD } from '../../support/api-harness.js';
import { FLOWHOST_BIN } from '../../support/flowhost-cli.js';
import { within } from './stats.js';

const root = resolve(import.meta.dirname, '../../..');

/** Builds dist/cli (what `npm ci` does) when the sources changed since, so the bench measures the current code. */
function ensureCliBundle(): void {
  if (!isBuildFresh(root, join(root, 'dist', 'cli'), ['cli.mjs'])) execFileSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
}

/** Agent processes still running: killed when the bench process exits, whatever way it ends. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface AgentProcess {
  readonly pid: number;
  readonly dataDir: string;
  /** SIGTERM, wait for the exit, remove the data dir (unless kept). */
  stop(opts?: { keepDataDir?: boolean }): Promise<void>;
}

export interface AgentProcessOptions {
  readonly orchestratorUrl: string;
  /** Written to the data dir (unless it holds credentials already); else the agent registers itself into `register`. */
  readonly credentials?: AgentCredentials;
  /** First start: register into this group (password API_GROUP_PASSWORD) under this name, as a user would. */
  readonly register?: { readonly group: string; readonly name: string };
  /** Run the TypeScript sources through tsx instead of the bundle. */
  readonly fromSource?: boolean;
  readonly capacity?: number;
  /** Default 1000 ms; the maximum (1 h) turns sampling off in practice. */
  readonly sampleIntervalMs?: number;
  readonly dataDir?: string;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[];
}

/**
 * Starts `flowhost agent` as shipped (bin/flowhost.js running the dist/cli bundle, built first if stale), with the
 * default log level; resolves once it logs its connection.
 */
export async function startAgentProcess(o: AgentProcessOptions): Promise<AgentProcess> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'flowhost-bench-agent-'));
  const credentialsFile = join(dataDir, 'credentials.json');
  if (o.credentials && !existsSync(credentialsFile)) writeCredentials(credentialsFile, { ...o.credentials, orchestrator: o.orchestratorUrl, group: 'bench' });
  if (!o.fromSource) ensureCliBundle();
  const args = ['agent', '--data-dir', dataDir, '--capacity', String(o.capacity ?? 1), '--sample-interval-ms', String(o.sampleIntervalMs ?? 1000)];
  if (o.register) args.push('--orchestrator', o.orchestratorUrl, '--group', o.register.group, '--group-password', API_GROUP_PASSWORD, '--name', o.register.name);
  // BENCH_PROFILE_DIR=dir: every agent process writes a V8 CPU profile there (see lib/profile-top.ts).
  const profile = process.env['BENCH_PROFILE_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE_DIR']}`] : [];
  const env = { ...process.env, FLOWHOST_FROM_SOURCE: o.fromSource ? '1' : '0' };
  const child: ChildProcess = spawn(process.execPath, [...profile, ...(o.nodeArgs ?? []), FLOWHOST_BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  const { exited, agent } = trackAgentChild(child, dataDir);
  // The agent logs to stderr: its warnings and errors pass through, the info lines only tell when it is connected.
  const lines = createInterface({ input: child.stderr! });
  lines.on('line', (l) => / (warn|error) /.test(l) && process.stderr.write(`agent: ${l}\n`));
  await within(
    Promise.race([
      new Promise<void>((resolve) => lines.on('line', (l) => l.includes('connected to the orchestrator') && resolve())),
      exited.then(([code]) => Promise.reject(new Error(`agent process exited with ${String(code)} before connecting`))),
    ]),
    30_000,
    'agent process start',
  );
  return agent;
}

/** An agent child process as an AgentProcess: killed if the bench exits first, stopped with SIGTERM (SIGKILL after 15 s). */
export function trackAgentChild(child: ChildProcess, dataDir: string): { exited: Promise<unknown[]>; agent: AgentProcess } {
  live.add(child);
  const exited = once(child, 'exit');
  void exited.then(() => live.delete(child));
  const agent: AgentProcess = {
    pid: child.pid!,
    dataDir,
    async stop(opts = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await within(exited, 15_000, 'agent process stop').catch(() => child.kill('SIGKILL'));
      }
      if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return { exited, agent };
}
