import { FlowLogLevel } from './option-sets.js';
import { WireLogLevel, type WireLogLevelName } from './protocol-log-level.js';

type FlowLogLevelName = keyof typeof FlowLogLevel.v;

/**
 * The Dataverse flowlog `level` of each wire level. Important ranks between Warning and Error and Dataverse has
 * nothing between them, so it is Warning: a `level ge` filter still finds it among "at least Warning".
 * It is also the one-time rewrite of flowlogs stored before flowhost used Dataverse's levels (shared/stored-value-changes.ts).
 */
export const FLOWLOG_LEVEL_OF_WIRE = {
  Verbose: 'Verbose',
  Information: 'Info',
  Warning: 'Warning',
  Important: 'Warning',
  Error: 'Error',
} as const satisfies Record<WireLogLevelName, FlowLogLevelName>;

const byWireValue = new Map<number, number>(
  (Object.keys(WireLogLevel) as WireLogLevelName[]).map((name) => [WireLogLevel[name], FlowLogLevel.v[FLOWLOG_LEVEL_OF_WIRE[name]]]),
);

/**
 * The flowlog `level` of a log line's wire level. The LogLine schema admits only wire levels; anything else (which
 * cannot pass it) is Info rather than an error, so one odd line never costs a batch.
 */
export function flowLogLevelOfWire(level: number): number {
  return byWireValue.get(level) ?? FlowLogLevel.v.Info;
}
