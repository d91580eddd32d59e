/** Signals a flow's whole process tree (POSIX: its process group, the flow spawned detached as leader). */
export interface ProcessTree {
  /** Polite stop (SIGTERM to the group). */
  terminate(pid: number): void;
  /** Hard stop (SIGKILL to the group). */
  kill(pid: number): void;
  /** SIGSTOP / SIGCONT to the group; false where the OS has no equivalent. */
  pause(pid: number): boolean;
  resume(pid: number): boolean;
  /** Whether any process of the tree still exists. */
  alive(pid: number): boolean;
}
