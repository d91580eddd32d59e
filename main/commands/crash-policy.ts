import type { Logger } from 'winston';
import { ExitCode } from './exit-codes.js';

export interface CrashPolicyOptions {
  /** Names the program in the log line ("agent", "orchestrator"). */
  readonly program: string;
  readonly logger: Logger;
  /** Writes out what the logger holds (the log file); the exit waits for it, at most `flushTimeoutMs`. */
  readonly flush?: () => Promise<void>;
  /** Default 3 s. */
  readonly flushTimeoutMs?: number;
}

/**
 * The process policy for an exception or a rejection that no code handled: the program's state is then unknown, so
 * it is logged at error level with its stack and the process exits with ExitCode.Crashed, for the service manager to
 * start it again (systemd `Restart=on-failure`, launchd `KeepAlive/SuccessfulExit=false`, WinSW `onfailure restart`
 * all restart on a non-zero exit). Nothing is lost: the agent commits before it acts and recovers its sessions at start
 * (runs left behind are aborted and reported AgentRestarted); the orchestrator's store is crash-safe. Never silent.
 * Returns the function that removes the policy (after a clean stop).
 */
export function installCrashPolicy(o: CrashPolicyOptions): () => void {
  let crashed = false;
  const handler = (kind: 'uncaughtException' | 'unhandledRejection') => (err: unknown) => {
    if (crashed) return; // a second failure while the first is being written out
    crashed = true;
    const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    const message = `${o.program} crashed (${kind}): ${detail}; exiting with ${ExitCode.Crashed} for the service manager to restart it`;
    try {
      o.logger.error(message);
    } catch {
      process.stderr.write(`${message}\n`);
    }
    const exit = () => process.exit(ExitCode.Crashed);
    setTimeout(exit, o.flushTimeoutMs ?? 3000);
    void (o.flush?.() ?? Promise.resolve()).then(exit, exit);
  };
  const onException = handler('uncaughtException');
  const onRejection = handler('unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
