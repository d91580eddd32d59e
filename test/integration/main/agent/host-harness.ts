import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import winston from 'winston';
import { SessionHost, type SessionHostOptions } from '../../../../main/agent/runner/session-host.js';
import { AgentStore, type LocalSession } from '../../../../main/agent/store/agent-store.js';
import { makeAssign } from '../../../support/agent-assign.js';

export const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url));

export interface Harness {
  readonly dir: string;
  readonly store: AgentStore;
  readonly host: SessionHost;
  /** Records, confirms and starts a session; returns its id and its completion. */
  start(overrides?: Parameters<typeof makeAssign>[0]): { id: string; done: Promise<LocalSession> };
  logText(id: string): string[];
  close(): void;
}

export function createHarness(options: Partial<SessionHostOptions> = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'agent-host-'));
  const store = AgentStore.open(join(dir, 'agent.db'));
  const logger = winston.createLogger({ silent: true });
  const host = new SessionHost({ store, dataDir: dir, logger, killGraceMs: 500, logFlushMs: 10, stdioDrainMs: 200, ...options });
  return {
    dir,
    store,
    host,
    start(overrides = {}) {
      const assign = makeAssign(overrides);
      const id = assign.session.flowsessionid;
      store.recordAssignment(assign);
      store.markConfirmed(id);
      host.start(id);
      // A session that ended before it spawned (e.g. unknown user) has completed already.
      const done = host.completion(id) ?? Promise.resolve(store.getSession(id) as LocalSession);
      return { id, done };
    },
    logText: (id) => store.logTail(id, 100_000).map((l) => l.message),
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A pid is gone when it does not exist or is a zombie waiting for its reaper. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  // A zombie still answers signal 0; /proc tells it apart on Linux (elsewhere a test waits for its reaping).
  if (process.platform !== 'linux') return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
