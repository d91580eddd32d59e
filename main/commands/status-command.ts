import { Command } from 'commander';
import { readStatusEndpoint, readStatusToken } from '../agent/status/status-token.js';
import { addSettingOptions } from './agent-options.js';
import { configOrUsageError } from './agent-command.js';
import { CommandError, ExitCode } from './exit-codes.js';
import { processExists } from '../agent/process/process-exists.js';

export function statusCommand(): Command {
  const command = new Command('status').description(
    "Print the address of the running local agent's status page, with the token of its data dir (keep it to yourself: it controls the agent).",
  );
  addSettingOptions(command, ['dataDir']);
  return command.action((opts: Record<string, unknown>) => {
    const { dataDir } = configOrUsageError(opts);
    process.stdout.write(`${statusPageUrl(dataDir)}\n`);
  });
}

/** `http://127.0.0.1:PORT/#token=…` of the agent running on `dataDir`; a CommandError saying why when there is none. */
export function statusPageUrl(dataDir: string, isAlive: (pid: number) => boolean = processExists): string {
  const endpoint = readStatusEndpoint(dataDir);
  if (!endpoint) throw new CommandError(`no agent status endpoint is recorded in ${dataDir}; start the agent first (flowhost agent --data-dir ${dataDir})`, ExitCode.Failure);
  if (!isAlive(endpoint.pid)) throw new CommandError(`the agent that served the status page (pid ${endpoint.pid}) is not running any more; start it again`, ExitCode.Failure);
  const token = readStatusToken(dataDir);
  if (!token) throw new CommandError(`no valid status token in ${dataDir}`, ExitCode.Failure);
  return `${endpoint.url}/#token=${token}`;
}

