import type { ProcessTree } from './process-tree.js';

/** kill(-pgid, sig); a group that is already gone (ESRCH) is not an error. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

export const posixProcessTree: ProcessTree = {
  terminate(pgid) {
    signalGroup(pgid, 'SIGTERM');
    // A stopped (paused) process only acts on SIGTERM once continued.
    signalGroup(pgid, 'SIGCONT');
  },
  kill: (pgid) => void signalGroup(pgid, 'SIGKILL'),
  pause: (pgid) => signalGroup(pgid, 'SIGSTOP'),
  resume: (pgid) => signalGroup(pgid, 'SIGCONT'),
  alive: (pgid) => signalGroup(pgid, 0),
};
