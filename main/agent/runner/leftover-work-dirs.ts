import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'winston';
import type { AgentStore } from '../store/agent-store.js';
import { removeRunAsDir } from './run-as-dir.js';

export interface LeftoverWorkDirsOptions {
  readonly store: AgentStore;
  readonly dataDir: string;
  readonly logger: Logger;
  /** Sessions whose dir is in use (running here, or a Local run of a live `flowhost run` process). */
  readonly inUse: (sessionId: string) => boolean;
}

/**
 * At agent start, after stale sessions were aborted: removes the work dirs (they hold inputs in clear) that a dead
 * agent left. Run-as dirs are the ones recorded in the store (removed as run-as-dir.ts does, then forgotten); the
 * agent's own are the entries of `<dataDir>/sessions/`, listed before the store is asked which are in use (a Local
 * run records its session before it makes its dir). Never throws; failures are logged and tried at the next start.
 */
export async function removeLeftoverWorkDirs(o: LeftoverWorkDirsOptions): Promise<void> {
  const own = ownSessionDirs(o.dataDir);
  for (const dir of o.store.workDirs()) {
    if (o.inUse(dir.sessionId)) continue;
    try {
      const removed = await removeRunAsDir(dir.path, dir);
      if (!removed) o.logger.warn('a recorded work dir is no longer the agent\'s; left alone', { sessionId: dir.sessionId, path: dir.path });
      o.store.forgetWorkDir(dir.sessionId);
      if (removed) o.logger.info('removed the work dir of a session a previous agent left', { sessionId: dir.sessionId, path: dir.path });
    } catch (err) {
      o.logger.warn('could not remove the work dir a previous agent left', { sessionId: dir.sessionId, path: dir.path, error: (err as Error).message });
    }
  }
  for (const name of own) {
    if (o.inUse(name)) continue;
    try {
      await rm(join(o.dataDir, 'sessions', name), { recursive: true, force: true });
    } catch (err) {
      o.logger.warn('could not remove the work dir a previous agent left', { sessionId: name, error: (err as Error).message });
    }
  }
}

function ownSessionDirs(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, 'sessions'));
  } catch {
    return [];
  }
}
