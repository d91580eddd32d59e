import { FLOWLOG_LEVEL_OF_WIRE } from './flowlog-level.js';
import { FlowLogLevel } from './option-sets.js';
import { WireLogLevel, type WireLogLevelName } from './protocol-log-level.js';

/** A stored column whose values changed meaning: each `[old, new]` pair is rewritten once, all pairs in one statement. */
export interface StoredValueChange {
  /** Entity set (the store's table). */
  readonly table: string;
  readonly column: string;
  readonly changes: readonly (readonly [old: number, now: number])[];
}

/**
 * Values a store written before flowhost took Microsoft's option sets holds with another meaning. Only flowlog
 * `level` changed: it held the agent's wire level (shared/protocol-log-level.ts), which maps as new lines do. Every
 * other option set kept its values (its labels changed, which are not stored).
 */
export const STORED_VALUE_CHANGES: readonly StoredValueChange[] = [
  {
    table: 'flowlogs',
    column: 'level',
    changes: (Object.keys(WireLogLevel) as WireLogLevelName[])
      .map((name) => [WireLogLevel[name], FlowLogLevel.v[FLOWLOG_LEVEL_OF_WIRE[name]]] as const)
      .filter(([old, now]) => old !== now),
  },
];

/** The value a stored `table.column` value has after the change (unchanged when the change does not name it). */
export function changedStoredValue(table: string, column: string, value: number): number {
  const change = STORED_VALUE_CHANGES.find((c) => c.table === table && c.column === column);
  return change?.changes.find(([old]) => old === value)?.[1] ?? value;
}
