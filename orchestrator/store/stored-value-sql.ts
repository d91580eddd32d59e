import { STORED_VALUE_CHANGES, type StoredValueChange } from '../../shared/stored-value-changes.js';

/** One UPDATE rewriting a change's old values (SQLite and PostgreSQL both run it); the rows' versions move on. */
export function storedValueChangeSql(change: StoredValueChange): string {
  const col = `"${change.column}"`;
  const cases = change.changes.map(([old, now]) => `WHEN ${old} THEN ${now}`).join(' ');
  const olds = change.changes.map(([old]) => old).join(', ');
  return `UPDATE "${change.table}" SET ${col} = CASE ${col} ${cases} END, "versionnumber" = "versionnumber" + 1 WHERE ${col} IN (${olds})`;
}

/** Every stored value change, as statements, in order. */
export const storedValueChangeStatements = (): string[] => STORED_VALUE_CHANGES.filter((c) => c.changes.length > 0).map(storedValueChangeSql);
