import { execFile } from 'node:child_process';
import type { ProcessTree } from './process-tree.js';

/**
 * Windows has no process groups to signal: `taskkill /T /F` ends the tree (no polite stop for console-less
 * children, so terminate is the same as kill). Pause is not offered. Not exercised by tests on Linux.
 */
const taskkill = (pid: number): void => {
  execFile('taskkill', ['/T', '/F', '/PID', String(pid)], { windowsHide: true }, () => undefined);
};

export const win32ProcessTree: ProcessTree = {
  terminate: taskkill,
  kill: taskkill,
  pause: () => false,
  resume: () => false,
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  },
};
