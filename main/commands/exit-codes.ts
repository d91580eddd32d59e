/** Process exit codes of the flowhost commands. */
export const ExitCode = {
  Ok: 0,
  /** The command failed (registration refused, a flow failed …). */
  Failure: 1,
  /** Bad flags, env or config file: nothing was started. */
  Usage: 2,
  /**
   * An exception or a rejection no code handled (crash-policy.ts): logged with its stack, then this exit so the service
   * manager restarts the process (EX_SOFTWARE of sysexits.h).
   */
  Crashed: 70,
} as const;

/** An error whose message is the whole story: printed without a stack, exits with `code`. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly code: number = ExitCode.Failure,
  ) {
    super(message);
  }
}
