import { Type, type Static } from '@sinclair/typebox';
import { DISPLAY_DEPTHS, DISPLAY_SIZE_PATTERN, VIRTUAL_DISPLAY_MODES } from './display-settings.js';

/** Current version of the agent config file; bump it together with a step in migrate.ts. */
export const CONFIG_SCHEMA_VERSION = 1;

const HostName = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9._:\\-\\[\\]]+$' });
const UserName = Type.String({ minLength: 1, maxLength: 256 });

/** Every agent setting, as it may appear in a config file, an env variable or a flag (all optional there). */
export const settingsProperties = {
  /** One URL, or the instances of one orchestrator as `URL,URL,…` (registration/orchestrator-url.ts). */
  orchestrator: Type.String({ minLength: 1, maxLength: 16_384, pattern: '^\\s*https?://[^,]+(,\\s*https?://[^,]+)*$' }),
  group: Type.String({ minLength: 1, maxLength: 256 }),
  /** PEM file of the CA an https orchestrator's certificate must chain to (instead of the system's CAs). */
  orchestratorCa: Type.String({ minLength: 1, maxLength: 4096 }),
  groupPassword: Type.String({ minLength: 1, maxLength: 256 }),
  /** File holding the group password (`-` = stdin); a source gives it or `groupPassword`, not both. */
  groupPasswordFile: Type.String({ minLength: 1, maxLength: 4096 }),
  name: Type.String({ minLength: 1, maxLength: 256 }),
  dataDir: Type.String({ minLength: 1, maxLength: 4096 }),
  capacity: Type.Integer({ minimum: 1, maximum: 256 }),
  sessionUsers: Type.Array(UserName, { maxItems: 64 }),
  attended: Type.Boolean(),
  sampleIntervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000 }),
  callbackAllow: Type.Array(HostName, { maxItems: 256 }),
  /** Unacked upstream events above which the agent refuses new sessions (OutboxFull). */
  maxPendingEvents: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
  logLevel: Type.Union([Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug')]),
  /** Private virtual display (Xvfb) per unattended session: auto (when installed) | on | off. */
  virtualDisplay: Type.Union(VIRTUAL_DISPLAY_MODES.map((m) => Type.Literal(m))),
  /** `<width>x<height>` of each virtual display; bounds in desktop/display-settings.ts. */
  displaySize: Type.String({ pattern: DISPLAY_SIZE_PATTERN, maxLength: 11 }),
  displayDepth: Type.Union(DISPLAY_DEPTHS.map((d) => Type.Literal(d))),
  /** The loopback status endpoint's port (its page and `/metrics`); 0 or unset: a free port. */
  statusPort: Type.Integer({ minimum: 0, maximum: 65535 }),
};
export type SettingKey = keyof typeof settingsProperties;

/** The config file (`--config FILE`): settings plus `schemaversion`, unknown keys refused. */
export const ConfigFile = Type.Object(
  {
    schemaversion: Type.Literal(CONFIG_SCHEMA_VERSION),
    ...Type.Partial(Type.Object(settingsProperties)).properties,
  },
  { additionalProperties: false },
);
export type ConfigFile = Static<typeof ConfigFile>;

/** Settings given by one source (file, env, flags); the merge of all of them is checked with AgentConfig. */
export const PartialSettings = Type.Partial(Type.Object(settingsProperties, { additionalProperties: false }));
export type PartialSettings = Static<typeof PartialSettings>;

/**
 * The merged configuration the agent runs with. Orchestrator, group and password are needed only for the first
 * start (registration); later starts take them from the stored credentials.
 */
export const AgentConfig = Type.Object(
  {
    orchestrator: Type.Optional(settingsProperties.orchestrator),
    group: Type.Optional(settingsProperties.group),
    orchestratorCa: Type.Optional(settingsProperties.orchestratorCa),
    groupPassword: Type.Optional(settingsProperties.groupPassword),
    /** Read into `groupPassword` at start (readFileSettings); never both. */
    groupPasswordFile: Type.Optional(settingsProperties.groupPasswordFile),
    name: settingsProperties.name,
    dataDir: settingsProperties.dataDir,
    capacity: settingsProperties.capacity,
    sessionUsers: settingsProperties.sessionUsers,
    attended: settingsProperties.attended,
    sampleIntervalMs: settingsProperties.sampleIntervalMs,
    callbackAllow: settingsProperties.callbackAllow,
    maxPendingEvents: Type.Optional(settingsProperties.maxPendingEvents),
    logLevel: settingsProperties.logLevel,
    virtualDisplay: Type.Optional(settingsProperties.virtualDisplay),
    displaySize: Type.Optional(settingsProperties.displaySize),
    displayDepth: Type.Optional(settingsProperties.displayDepth),
    statusPort: Type.Optional(settingsProperties.statusPort),
  },
  { additionalProperties: false },
);
export type AgentConfig = Static<typeof AgentConfig>;
