// Starts the agent core for the tray app: config (FLOWHOST_* env, FLOWHOST_CONFIG file, per-user data dir),
// the credential (protected when the protector can), the Agent and the status producer the window reads.
// No electron import: the protector is handed in.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../agent/agent.js';
import { agentOptionsFromConfig, registrationFromConfig } from '../agent/agent-from-config.js';
import { readFileSettings } from '../agent/config/file-settings.js';
import { loadAgentConfig } from '../agent/config/load.js';
import type { AgentConfig } from '../agent/config/schema.js';
import { writeCredentials, type Credentials } from '../agent/registration/credentials.js';
import { dataDirFiles, defaultDataDir } from '../agent/config/data-dir.js';
import { createAgentLogger, type AgentLogger } from '../agent/logging/logger.js';
import { parseOrchestratorList, plainTextWarningOf } from '../agent/registration/orchestrator-url.js';
import { preparePrivateDataDir } from '../../node-shared/private-file.js';
import { ensureRegistered } from '../agent/registration/registration.js';
import type { SecretProtector } from '../agent/registration/secret-protector.js';
import { StatusProducer } from '../agent/status/status.js';
import { AgentStore } from '../agent/store/agent-store.js';
import { loadCredentials, protectCredentials, protectedFileOf } from './credential-protection.js';

export interface BootOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homedir: string;
  readonly cwd: string;
  readonly protector: SecretProtector;
}

export interface BootedAgent {
  readonly agent: Agent;
  readonly producer: StatusProducer;
  readonly config: AgentConfig;
  readonly log: AgentLogger;
  /** Stops the producer, the agent (drained first when `drainGraceMs` is given), the store reader and the log. */
  shutdown(drainGraceMs?: number): Promise<void>;
}

export async function bootAgent(o: BootOptions): Promise<BootedAgent> {
  const notices: string[] = [];
  const loaded = loadAgentConfig({
    flags: {},
    configPath: undefined,
    env: o.env,
    defaults: { name: hostname(), dataDir: defaultDataDir({ platform: process.platform, env: o.env, homedir: o.homedir, isService: false }) },
    cwd: o.cwd,
    warn: (m) => notices.push(m),
  });
  const config = await readFileSettings(loaded, { warn: (m) => notices.push(m) });
  preparePrivateDataDir(config.dataDir, (m) => notices.push(m));
  const files = dataDirFiles(config.dataDir);
  const log = createAgentLogger({ file: files.agentLog, level: config.logLevel });
  if (config.groupPassword) log.secrets.add(config.groupPassword);
  for (const notice of notices) log.logger.warn(notice);
  try {
    const credentials = await credentialsFor(config, o.protector, log);
    const agent = new Agent({ ...agentOptionsFromConfig(config, credentials, log.logger), onCallbackKey: (key) => keepCallbackKey(config, o.protector, log, credentials, key) });
    agent.start();
    // A second connection to the agent's WAL database, read-only use: recent sessions, log tails, samples.
    const reader = AgentStore.open(join(config.dataDir, 'agent.db'));
    const producer = new StatusProducer({ agent, store: reader });
    return {
      agent,
      producer,
      config,
      log,
      async shutdown(drainGraceMs) {
        producer.close();
        await (drainGraceMs === undefined ? agent.stop() : agent.drain(drainGraceMs));
        reader.close();
        await log.close();
      },
    };
  } catch (err) {
    await log.close();
    throw err;
  }
}

/** A rotated callback key goes where the credential is: the protected file when it can, else the 0600 plain file. */
function keepCallbackKey(config: AgentConfig, protector: SecretProtector, log: AgentLogger, credentials: Credentials, key: string): void {
  log.secrets.add(key);
  const files = dataDirFiles(config.dataDir);
  const next = { ...credentials, callbackSecret: key };
  if (!protectCredentials({ plain: files.credentials, protected: protectedFileOf(files.credentials) }, next, protector)) writeCredentials(files.credentials, next);
}

async function credentialsFor(config: AgentConfig, protector: SecretProtector, log: AgentLogger): Promise<Credentials> {
  const files = dataDirFiles(config.dataDir);
  const credentialFiles = { plain: files.credentials, protected: protectedFileOf(files.credentials) };
  const stored = loadCredentials(credentialFiles, protector);
  const credentials = stored?.credentials ?? (await ensureRegistered(registrationFromConfig(config, { credentialsFile: files.credentials, warn: (m) => log.logger.warn(m) }))).credentials;
  log.secrets.add(credentials.credential);
  log.secrets.add(credentials.callbackSecret);
  const clear = stored ? plainTextWarningOf(parseOrchestratorList(credentials.orchestrator)) : undefined; // ensureRegistered warns otherwise
  if (clear) log.logger.warn(clear);
  if (stored?.protected) return credentials;
  if (protectCredentials(credentialFiles, credentials, protector)) log.logger.info(`machine credential kept with ${protector.kind}`);
  else log.logger.warn(`${protector.kind} cannot encrypt here; the machine credential stays in ${files.credentials} (mode 0600)`);
  return credentials;
}
