import { CommanderError, type Command } from 'commander';
import { CommandError, ExitCode } from './exit-codes.js';

/** Every command (and subcommand) reports usage errors instead of exiting, and suggests --help. */
function configure(command: Command): void {
  command.exitOverride().showHelpAfterError(`(run '${fullName(command)} --help' for usage)`);
  for (const sub of command.commands) configure(sub);
}

function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Parses argv and runs the chosen command; returns the exit code: 0 for help/version, 2 for bad flags or
 * configuration, 1 for a failed command. Never calls process.exit itself.
 */
export async function runProgram(program: Command, argv: readonly string[], stderr: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  configure(program);
  try {
    await program.parseAsync([...argv]);
    // A command that finished but failed (a flow that failed) sets process.exitCode itself.
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message; help and version are not errors.
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
      return ExitCode.Usage;
    }
    if (err instanceof CommandError) {
      stderr(`${fullName(program)}: ${err.message}\n`);
      return err.code;
    }
    stderr(`${fullName(program)}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return ExitCode.Failure;
  }
}
