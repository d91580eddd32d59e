import type { SettingKey } from './schema.js';

/** How a flag or env value is turned into a setting value. */
export type OptionKind = 'string' | 'integer' | 'boolean' | 'list';

/** One agent setting as the command line and the environment spell it. */
export interface OptionSpec {
  readonly key: SettingKey;
  /** Long flag without the dashes, e.g. `group-password`. */
  readonly flag: string;
  /** Placeholder in the help (`<url>`); absent for booleans. */
  readonly value?: string;
  readonly env: string;
  readonly kind: OptionKind;
  readonly description: string;
  /** Shown in the help; the effective default comes from defaults.ts. */
  readonly defaultText?: string;
}

/** The one table of agent settings: flags, env twins and config-file keys all come from it. */
export const agentOptions: readonly OptionSpec[] = [
  { key: 'orchestrator', flag: 'orchestrator', value: '<url>[,<url>…]', env: 'FLOWHOST_ORCHESTRATOR', kind: 'string', description: 'orchestrator base URL; several instances of one orchestrator as URL,URL,… (the agent connects to one and moves on when it fails)' },
  { key: 'orchestratorCa', flag: 'orchestrator-ca', value: '<pem>', env: 'FLOWHOST_ORCHESTRATOR_CA', kind: 'string', description: "CA certificate file (PEM) an https orchestrator's certificate must chain to, instead of the system's CAs" },
  { key: 'group', flag: 'group', value: '<name>', env: 'FLOWHOST_GROUP', kind: 'string', description: 'machine group to register into (first start only)' },
  { key: 'groupPassword', flag: 'group-password', value: '<password>', env: 'FLOWHOST_GROUP_PASSWORD', kind: 'string', description: "the group's registration password (first start only; other users see it in the process list: prefer --group-password-file)" },
  { key: 'groupPasswordFile', flag: 'group-password-file', value: '<file>', env: 'FLOWHOST_GROUP_PASSWORD_FILE', kind: 'string', description: "file holding the group's registration password, '-' = stdin (first start only)" },
  { key: 'name', flag: 'name', value: '<machine>', env: 'FLOWHOST_NAME', kind: 'string', description: 'machine name', defaultText: 'host name' },
  { key: 'dataDir', flag: 'data-dir', value: '<dir>', env: 'FLOWHOST_DATA_DIR', kind: 'string', description: 'where credentials, the local store and logs live', defaultText: 'per OS' },
  { key: 'capacity', flag: 'capacity', value: '<n>', env: 'FLOWHOST_CAPACITY', kind: 'integer', description: 'sessions run at the same time', defaultText: '1' },
  { key: 'sessionUsers', flag: 'session-user', value: '<user>', env: 'FLOWHOST_SESSION_USER', kind: 'list', description: 'user unattended sessions may run as (repeatable); a session naming no user runs as the first', defaultText: "the agent's own user only" },
  { key: 'attended', flag: 'attended', env: 'FLOWHOST_ATTENDED', kind: 'boolean', description: 'accept attended sessions for the signed-in user' },
  { key: 'sampleIntervalMs', flag: 'sample-interval-ms', value: '<ms>', env: 'FLOWHOST_SAMPLE_INTERVAL_MS', kind: 'integer', description: 'CPU/RAM sample interval while sessions run', defaultText: '1000' },
  { key: 'callbackAllow', flag: 'callback-allow', value: '<host>', env: 'FLOWHOST_CALLBACK_ALLOW', kind: 'list', description: 'callback host allowed over http and on loopback/private addresses (repeatable)' },
  { key: 'maxPendingEvents', flag: 'max-pending-events', value: '<n>', env: 'FLOWHOST_MAX_PENDING_EVENTS', kind: 'integer', description: 'unsent events above which no new session is taken', defaultText: '1000000' },
  { key: 'virtualDisplay', flag: 'virtual-display', value: '<mode>', env: 'FLOWHOST_VIRTUAL_DISPLAY', kind: 'string', description: 'a private Xvfb display per unattended session (Linux): auto (when Xvfb is installed) | on | off', defaultText: 'auto' },
  { key: 'displaySize', flag: 'display-size', value: '<WxH>', env: 'FLOWHOST_DISPLAY_SIZE', kind: 'string', description: 'screen size of each virtual display, 320x200 to 8192x8192', defaultText: '1280x1024' },
  { key: 'displayDepth', flag: 'display-depth', value: '<bits>', env: 'FLOWHOST_DISPLAY_DEPTH', kind: 'integer', description: 'colour depth of each virtual display: 8 | 16 | 24', defaultText: '24' },
  { key: 'statusPort', flag: 'status-port', value: '<port>', env: 'FLOWHOST_STATUS_PORT', kind: 'integer', description: "the loopback status endpoint's port (its page and /metrics)", defaultText: 'a free port' },
  { key: 'logLevel', flag: 'log-level', value: '<level>', env: 'FLOWHOST_LOG_LEVEL', kind: 'string', description: 'error | warn | info | debug', defaultText: 'info' },
];

/** `--config` is not a setting but a source; it has an env twin too. */
export const configFileOption = { flag: 'config', value: '<file>', env: 'FLOWHOST_CONFIG', description: 'JSON config file (schemaversion 1)' } as const;

/** commander's camelCase attribute name of a flag: `group-password` → `groupPassword`. */
export const attributeName = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
