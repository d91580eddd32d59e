import type { Logger } from 'winston';
import type { ProcessTree } from '../../process/kill-tree.js';
import { isSessionGroup } from '../../process/session-group.js';
import type { AgentStore } from '../../store/agent-store.js';

export interface LeftoverDisplaysOptions {
  readonly store: AgentStore;
  readonly logger: Logger;
  readonly tree: ProcessTree;
  /** Sessions running here now: their servers are theirs. */
  readonly inUse: (sessionId: string) => boolean;
  /** SIGTERM → SIGKILL. Default 2 s. */
  readonly graceMs?: number;
}

/**
 * At agent start: ends the virtual display servers a dead agent left (it was killed while their sessions ran). A
 * recorded pid is signalled only while its process group still holds a process of that session (the server was
 * started with FLOWHOST_SESSION_ID, see process/session-group.ts), so a reused pid is left alone. SIGTERM first, so
 * Xvfb removes its socket and lock file; SIGKILL after the grace. Never throws.
 */
export async function endLeftoverDisplays(o: LeftoverDisplaysOptions): Promise<void> {
  for (const { sessionId, pid } of o.store.displays.servers()) {
    if (o.inUse(sessionId)) continue;
    try {
      if (isSessionGroup(pid, sessionId)) {
        o.logger.warn('ending the display server a previous agent left', { sessionId, pid });
        await stop(o, pid);
      }
      o.store.displays.forgetServer(sessionId);
    } catch (err) {
      o.logger.warn('could not end the display server a previous agent left', { sessionId, pid, error: (err as Error).message });
    }
  }
}

async function stop(o: LeftoverDisplaysOptions, pgid: number): Promise<void> {
  o.tree.terminate(pgid);
  // Not our child: no exit event to wait for, so its group is looked at until it is gone.
  const deadline = Date.now() + (o.graceMs ?? 2000);
  while (o.tree.alive(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  if (o.tree.alive(pgid)) o.tree.kill(pgid);
}
