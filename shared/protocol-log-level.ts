/**
 * The level of a log line on the agent ⇄ orchestrator wire (`LogLine.level`, shared/protocol.ts re-exports it): the
 * numbers agents send, frozen. They are NOT Dataverse's flowlog `level` (100000001 here is stdout's Information,
 * there Debug): the orchestrator maps them with `flowLogLevelOfWire` (shared/flowlog-level.ts) when it writes flowlogs.
 * Its own module so that flowlog-level.ts can map it without importing the whole protocol.
 */
export const WireLogLevel = {
  Verbose: 100000000,
  /** A line of the flow's stdout, or the agent's own note. */
  Information: 100000001,
  /** A line of the flow's stderr. */
  Warning: 100000002,
  /** Ranked between Warning and Error; no agent sends it today. */
  Important: 100000003,
  Error: 100000004,
} as const;
export type WireLogLevelName = keyof typeof WireLogLevel;
export type WireLogLevel = (typeof WireLogLevel)[WireLogLevelName];
