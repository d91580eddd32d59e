import { Command } from 'commander';
import type { Logger } from 'winston';
import type { Agent } from '../agent/agent.js';
import { agentOptionsFromConfig, registrationFromConfig } from '../agent/agent-from-config.js';
import { readFileSettings } from '../agent/config/file-settings.js';
import type { AgentConfig } from '../agent/config/schema.js';
import { CredentialsError, writeCredentials } from '../agent/registration/credentials.js';
import { dataDirFiles } from '../agent/config/data-dir.js';
import { DRAIN_GRACE_MS } from '../agent/drain-grace.js';
import { createAgentLogger, type AgentLogger } from '../agent/logging/logger.js';
import { preparePrivateDataDir, PrivateStorageError } from '../../node-shared/private-file.js';
import { ensureRegistered, RegistrationError } from '../agent/registration/registration.js';
import type { RunningStatusServer } from '../agent/status/status-server.js';
import { addSettingOptions, ConfigError, resolveAgentConfig } from './agent-options.js';
import { installCrashPolicy } from './crash-policy.js';
import { CommandError, ExitCode } from './exit-codes.js';

export function agentCommand(): Command {
  const command = new Command('agent')
    .description('Run the agent in the foreground: register on first start, then take and run sessions. SIGTERM/SIGINT drain and exit 0.')
    .addHelpText(
      'after',
      '\nPrecedence: flags > FLOWHOST_* env > --config file > defaults. First start needs --orchestrator, --group and --group-password-file (or --group-password).',
    );
  addSettingOptions(command);
  return command.action(async (opts: Record<string, unknown>) => {
    const notices: string[] = [];
    const warn = (m: string) => notices.push(m);
    const config = await configWithFiles(configOrUsageError(opts, warn), warn);
    await runAgent(config, notices);
  });
}

export function configOrUsageError(opts: Record<string, unknown>, warn?: (message: string) => void): AgentConfig {
  try {
    return resolveAgentConfig(opts, process.env, warn);
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandError(err.message, ExitCode.Usage);
    throw err;
  }
}

/** The config with the files its settings name read (group password file, orchestrator CA); a bad one is a usage error. */
export async function configWithFiles(config: AgentConfig, warn?: (message: string) => void): Promise<AgentConfig> {
  try {
    return await readFileSettings(config, warn ? { warn } : {});
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandError(err.message, ExitCode.Usage);
    throw err;
  }
}

/** The data dir made private (0700) before anything is written to it; a dir that cannot be is a failure to start. */
export function openPrivateDataDir(dataDir: string, warn: (message: string) => void): void {
  try {
    preparePrivateDataDir(dataDir, warn);
  } catch (err) {
    if (err instanceof PrivateStorageError) throw new CommandError(err.message, ExitCode.Failure);
    throw err;
  }
}

/** Opens the data dir and the logger, registers (or loads the credential) and runs the agent until a signal. */
export async function runAgent(config: AgentConfig, notices: readonly string[] = []): Promise<void> {
  const files = dataDirFiles(config.dataDir);
  const warnings = [...notices];
  openPrivateDataDir(config.dataDir, (m) => warnings.push(m));
  const log = createAgentLogger({ file: files.agentLog, level: config.logLevel });
  log.secrets.add(config.groupPassword);
  const removeCrashPolicy = installCrashPolicy({ program: 'agent', logger: log.logger, flush: () => log.close() });
  try {
    for (const warning of warnings) log.logger.warn(warning);
    await runWithLogger(config, log);
  } finally {
    removeCrashPolicy();
  }
}

async function runWithLogger(config: AgentConfig, log: AgentLogger): Promise<void> {
  const files = dataDirFiles(config.dataDir);
  const { logger } = log;
  const stopper = signalStopper(log);
  let agent: Agent;
  let status: RunningStatusServer | undefined;
  try {
    const { credentials, registered } = await ensureRegistered(registrationFromConfig(config, { credentialsFile: files.credentials, warn: (m) => logger.warn(m) }));
    log.secrets.add(credentials.credential);
    log.secrets.add(credentials.callbackSecret);
    // A store of an earlier registration is kept aside by the Agent (it records its machine): see store-identity.ts.
    logger.info(registered ? `registered as machine ${credentials.flowmachineid} in group '${credentials.group}'` : `using the credential of machine ${credentials.flowmachineid}`);
    // Loaded here, not at import: `flowhost --help` stays fast and works without the native SQLite module.
    const { Agent } = await import('../agent/agent.js');
    agent = new Agent({
      ...agentOptionsFromConfig(config, credentials, logger),
      onCallbackKey: (key) => {
        log.secrets.add(key);
        writeCredentials(files.credentials, { ...credentials, callbackSecret: key });
      },
    });
    agent.start();
    status = await startLocalStatusPage(agent, config.dataDir, logger, config.statusPort);
  } catch (err) {
    stopper.dispose();
    await log.close();
    if (err instanceof RegistrationError || err instanceof CredentialsError) throw new CommandError(err.message, ExitCode.Failure);
    throw err;
  }
  try {
    await stopper.untilStopped(agent);
  } finally {
    await status?.close();
  }
}

/** The loopback status page (`flowhost status` prints its URL); the agent runs on without it if it cannot start. */
async function startLocalStatusPage(agent: Agent, dataDir: string, logger: Logger, port: number | undefined): Promise<RunningStatusServer | undefined> {
  const { startStatusServer } = await import('../agent/status/status-server.js');
  try {
    return await startStatusServer({ agent, dataDir, logger, ...(port === undefined ? {} : { port }) });
  } catch (err) {
    logger.warn(`status page not started: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * First SIGTERM/SIGINT: drain (no new work, grace for running sessions, outbox flushed). Second: stop now.
 * Installed before anything starts, so a signal during registration or start-up is not lost.
 */
function signalStopper(log: AgentLogger): { untilStopped(agent: Agent): Promise<void>; dispose(): void } {
  const { logger } = log;
  let signals: NodeJS.Signals[] = [];
  let onChange: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    signals = [...signals, signal];
    onChange?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const dispose = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  const untilStopped = (agent: Agent) =>
    new Promise<void>((resolve, reject) => {
      let handled = 0;
      const finish = (how: Promise<void>) =>
        how.then(
          () => {
            dispose();
            void log.close().then(resolve);
          },
          (err: unknown) => {
            dispose();
            void log.close().then(() => reject(err instanceof Error ? err : new Error(String(err))));
          },
        );
      onChange = () => {
        if (handled === 0 && signals.length >= 1) {
          handled = 1;
          logger.info(`${signals[0]}: draining (running sessions get ${DRAIN_GRACE_MS / 1000} s; send it again to stop now)`);
          void finish(agent.drain(DRAIN_GRACE_MS));
        }
        if (handled === 1 && signals.length >= 2) {
          handled = 2;
          logger.warn(`${signals[1]} again: stopping now`);
          void finish(agent.stop());
        }
      };
      onChange();
    });
  return { untilStopped, dispose };
}
