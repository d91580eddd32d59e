import { DRAIN_FLUSH_TIMEOUT_MS, DRAIN_GRACE_MS } from '../drain-grace.js';

/** What every service definition (systemd, launchd, WinSW) is generated from. A plain value. */
export interface ServiceSpec {
  /** The program and its leading arguments, e.g. [node, /opt/flowhost/bin/flowhost.js]; `agent` is appended. */
  readonly command: readonly string[];
  /** Absolute path of the agent's config file (`--config`), if any. */
  readonly configFile?: string;
  /** Absolute data dir; passed as FLOWHOST_DATA_DIR so a non-root account still uses the machine-wide folder. */
  readonly dataDir: string;
  /** Account the agent runs as; absent = root / LocalSystem (needed to run sessions as other users). */
  readonly user?: string;
  /** Seconds the agent gets after SIGTERM (drain grace + outbox flush + margin) before it is killed. */
  readonly stopTimeoutS: number;
  /** Extra folders the agent (and its flows) may write under ProtectSystem=strict. */
  readonly readWritePaths?: readonly string[];
}

export const SERVICE_NAME = 'flowhost';
export const LAUNCHD_LABEL = 'com.flowhost.agent';
export const SERVICE_DESCRIPTION = 'flowhost agent: runs desktop-flow sessions for the orchestrator';

/** The agent's drain grace and outbox flush timeout (drain-grace.ts); the stop timeout must exceed both. */
export const AGENT_DRAIN_GRACE_S = DRAIN_GRACE_MS / 1000;
export const AGENT_FLUSH_TIMEOUT_S = DRAIN_FLUSH_TIMEOUT_MS / 1000;
export const DEFAULT_STOP_TIMEOUT_S = AGENT_DRAIN_GRACE_S + AGENT_FLUSH_TIMEOUT_S + 20;

/** The full argv the service runs. */
export const serviceArgv = (spec: ServiceSpec): string[] => [...spec.command, 'agent', ...(spec.configFile ? ['--config', spec.configFile] : [])];

/** Why the service account matters; `how` names the setting (`--user`, `User=`, `<serviceaccount>`). */
export const rootTradeOff = (how = '--user'): string =>
  `Without ${how} the agent runs as root (LocalSystem on Windows): it can run unattended sessions as any of its ` +
  `configured session users, and so every flow it is sent runs with the power to become them. With ${how} it runs ` +
  'as that account only: flows run as that user and nothing else, which is safer when one account is enough.';
