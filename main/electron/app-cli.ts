// The packaged app as the `flowhost` CLI (`<app> --flowhost-cli …`, see app-mode.ts): the agent's commands only.
// The orchestrator and the demo stay out (they are not shipped in the app); `service` installs the app itself.
// No electron import.
import { Command } from 'commander';
import { agentCommand } from '../commands/agent-command.js';
import { runCommand } from '../commands/run-command.js';
import { runProgram } from '../commands/run-program.js';
import { serviceCommand } from '../commands/service-command.js';
import { statusCommand } from '../commands/status-command.js';

export interface AppCliOptions {
  /** The CLI's arguments (after --flowhost-cli). */
  readonly args: readonly string[];
  /** How to start this app as the CLI again (selfCliCommand): what a service runs. */
  readonly self: readonly string[];
  readonly version: string;
}

/** The app's CLI program: agent, run, status and service (which installs `<self> agent`). */
export function appCliProgram(o: Pick<AppCliOptions, 'self' | 'version'>): Command {
  return new Command('flowhost')
    .description('The flowhost agent app as a command line: run the agent, run a flow locally, show status, install the service.')
    .version(o.version)
    .addCommand(agentCommand())
    .addCommand(runCommand())
    .addCommand(statusCommand())
    .addCommand(serviceCommand({ flowhost: o.self }));
}

/** Runs the CLI and resolves with its exit code (never exits itself). */
export function runAppCli(o: AppCliOptions): Promise<number> {
  return runProgram(appCliProgram(o), ['flowhost-app', 'flowhost', ...o.args]);
}
