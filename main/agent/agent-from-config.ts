// One way from a resolved AgentConfig to what the agent core needs, for every front end (CLI, service, tray):
// the registration request and the Agent's options. Types only from agent.ts: callers that load the Agent late
// (so `flowhost --help` works without the native SQLite module) still can.
import type { Logger } from 'winston';
import type { AgentOptions } from './agent.js';
import { readOrchestratorCa } from './config/file-settings.js';
import type { AgentConfig } from './config/schema.js';
import type { Credentials } from './registration/credentials.js';
import type { RegistrationOptions } from './registration/registration.js';
import { parseOrchestratorList } from './registration/orchestrator-url.js';
import { DEFAULT_DISPLAY_SETTINGS, parseDisplaySize, type DisplaySettings } from './config/display-settings.js';
import { desktopForPlatform } from './runner/desktop/desktop-for-platform.js';
import { currentUser } from './process/session-user.js';

/** The version this agent reports when it registers and in hello. */
export const AGENT_VERSION = '0.1.0';

/** What ensureRegistered needs, from the config: the machine's name, capacity and (first start) group. */
export function registrationFromConfig(config: AgentConfig, o: { credentialsFile: string; warn: (message: string) => void }): RegistrationOptions {
  return {
    credentialsFile: o.credentialsFile,
    orchestrator: config.orchestrator,
    group: config.group,
    groupPassword: config.groupPassword,
    name: config.name,
    capacity: config.capacity,
    agentVersion: AGENT_VERSION,
    warn: o.warn,
    ...orchestratorCaOf(config),
  };
}

/**
 * The Agent's options for this config and credential. The orchestrator is the one the credential belongs to: the
 * config's list of its instances when given (registration checked it names the same orchestrator), else the stored one.
 */
export function agentOptionsFromConfig(config: AgentConfig, credentials: Credentials, logger: Logger): AgentOptions {
  return {
    orchestratorUrls: parseOrchestratorList(config.orchestrator ?? credentials.orchestrator),
    ...orchestratorCaOf(config),
    credentials,
    machineName: config.name,
    dataDir: config.dataDir,
    capacity: config.capacity,
    sessionUsers: config.sessionUsers,
    attendedMode: config.attended,
    sampleIntervalMs: config.sampleIntervalMs,
    callbackAllow: config.callbackAllow,
    ...(config.maxPendingEvents === undefined ? {} : { outboxCap: config.maxPendingEvents }),
    agentVersion: AGENT_VERSION,
    logger,
    ...desktopOf(config),
  };
}

/** The displays sessions get on this OS (desktop/), from the display settings; none where no desktop is built yet. */
function desktopOf(config: AgentConfig): Pick<AgentOptions, 'desktop'> {
  const settings: DisplaySettings = {
    mode: config.virtualDisplay ?? DEFAULT_DISPLAY_SETTINGS.mode,
    ...(config.displaySize === undefined ? DEFAULT_DISPLAY_SETTINGS : parseDisplaySize(config.displaySize)),
    depth: config.displayDepth ?? DEFAULT_DISPLAY_SETTINGS.depth,
  };
  const desktop = desktopForPlatform(settings, { env: process.env, agentUser: currentUser() });
  return desktop ? { desktop } : {};
}

/** The PEM of the configured orchestrator CA file, when one is configured (read at each start: it may be renewed). */
function orchestratorCaOf(config: AgentConfig): { orchestratorCa?: string } {
  return config.orchestratorCa === undefined ? {} : { orchestratorCa: readOrchestratorCa(config.orchestratorCa) };
}
