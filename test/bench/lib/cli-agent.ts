import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isBuildFresh } from '../../../scripts/build-meta.mjs';
import { flowmachineEntity } from '../../../shared/records/index.js';
import { API_GROUP_PASSWORD } from '../../e2e/api-harness.js';
import { FLOWHOST_BIN } from '../../support/flowhost-cli.js';
import type { TestOrchestrator } from '../../support/orchestrator-harness.js';
import { waitFor } from '../../support/wait-for.js';
import { trackAgentChild, type AgentProcess } from './agent-process.js';

const root = resolve(import.meta.dirname, '../../..');

/** Builds dist/cli (what `npm ci` does) when the sources changed since, so the bench measures the current code. */
export function ensureCliBundle(): void {
  if (!isBuildFresh(root, join(root, 'dist', 'cli'), ['cli.mjs'])) execFileSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
}

/**
 * `flowhost agent` exactly as a user starts it (bin/flowhost.js: the dist/cli bundle when fresh, else the sources
 * through tsx; `fromSource` forces the latter), registering into `group` on first start. Resolves once the
 * orchestrator shows the machine connected.
 */
export async function startCliAgent(orch: TestOrchestrator, o: { group: string; name: string; fromSource?: boolean; dataDir?: string }): Promise<AgentProcess> {
  if (!o.fromSource) ensureCliBundle();
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'flowhost-bench-cli-agent-'));
  const args = ['agent', '--orchestrator', orch.url, '--group', o.group, '--group-password', API_GROUP_PASSWORD, '--name', o.name, '--data-dir', dataDir, '--log-level', 'warn'];
  const env = { ...process.env, FLOWHOST_FROM_SOURCE: o.fromSource ? '1' : '0' };
  const child = spawn(process.execPath, [FLOWHOST_BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const { exited, agent } = trackAgentChild(child, dataDir);
  // A restarted agent's machine row may still show the previous connection: wait for this process's own hello.
  const since = new Date().toISOString();
  const connected = () =>
    orch.running.store.query(flowmachineEntity, { where: 'name = ? AND connected = 1 AND lastheartbeatdate >= ?', params: [o.name, since] }).length === 1;
  await Promise.race([
    waitFor(connected, { what: `flowhost agent ${o.name} to connect`, timeoutMs: 30_000 }),
    exited.then(([code]) => Promise.reject(new Error(`flowhost agent ${o.name} exited with ${String(code)} before connecting`))),
  ]);
  return agent;
}
