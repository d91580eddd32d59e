import type pg from 'pg';
import { entities } from '../../shared/records/index.js';
import { storedValueChangeStatements } from './stored-value-sql.js';
import { columnDdl, entityDdl, ident, initialSchema, SCREENSHOTS_DDL } from './postgres-schema.js';

/**
 * Versioned schema migrations of the PostgreSQL store, run once across every orchestrator instance that starts on
 * the database, whenever they start: each start runs `migrate` in one transaction that first takes a
 * transaction-scoped advisory lock, so a second instance waits for the first to commit and then finds its versions
 * in `schema_version` (DDL is transactional in PostgreSQL: a failed migration leaves nothing behind, and the lock
 * goes with the transaction, so an instance killed mid-migration blocks no one).
 *
 * Two kinds of change: an `EntityDef` added is a table added at start, a field added to one is a column added at start
 * (as in the SQLite store, checked against the catalog so a start that adds nothing takes no table lock); anything else (an index, a type, a data
 * rewrite) is a new entry at the end of MIGRATIONS, never an edit of an applied one.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: () => readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'entity tables, their indexes, meta', statements: initialSchema },
  { version: 2, name: 'session screenshots', statements: () => [SCREENSHOTS_DDL] },
  { version: 3, name: "option-set values as Microsoft's (flowlog level)", statements: storedValueChangeStatements },
];

/** Key of the advisory lock the migrators take: "flowhost" in ASCII. */
export const MIGRATION_LOCK_KEY = 0x666c6f77686f7374n;

export interface MigrationResult {
  /** Versions this call applied, in order (empty when another instance had). */
  readonly applied: readonly number[];
  /** `table.column` of fields added to an EntityDef after its table was created, and `table` of EntityDefs added. */
  readonly addedColumns: readonly string[];
}

export class SchemaTooNewError extends Error {
  constructor(found: number, known: number) {
    super(`the database's schema is version ${found}; this orchestrator knows versions up to ${known}: upgrade it`);
    this.name = 'SchemaTooNewError';
  }
}

/** Brings the database to the newest schema; safe to call from any number of instances at once. */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await migrateLocked(client, migrations);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    // The connection goes, not back to the pool: whatever state it is in, closing it rolls the transaction back.
    client.release(err instanceof Error ? err : true);
    throw err;
  }
}

async function migrateLocked(client: pg.PoolClient, migrations: readonly Migration[]): Promise<MigrationResult> {
  await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('schema_version')::text AS t");
  if (exists.rows[0]?.t === null) {
    await client.query('CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL, appliedon timestamptz NOT NULL DEFAULT now())');
  }
  const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_version')).rows.map((r) => r.version));
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...done);
  if (newest > known) throw new SchemaTooNewError(newest, known);

  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    for (const sql of m.statements()) await client.query(sql);
    await client.query('INSERT INTO schema_version (version, name) VALUES ($1, $2)', [m.version, m.name]);
    applied.push(m.version);
  }
  return { applied, addedColumns: await addMissingColumns(client) };
}

/** Adds the tables of EntityDefs added after the database was made, and the columns of fields an EntityDef gained. */
async function addMissingColumns(client: pg.PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ table_name: string; column_name: string }>(
    'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1::text[])',
    [Object.keys(entities)],
  );
  const have = new Set(rows.map((r) => `${r.table_name}.${r.column_name}`));
  const tables = new Set(rows.map((r) => r.table_name));
  const added: string[] = [];
  for (const entity of Object.values(entities)) {
    if (!tables.has(entity.set)) {
      for (const sql of entityDdl(entity)) await client.query(sql);
      added.push(entity.set);
      continue;
    }
    for (const [name, f] of Object.entries(entity.fields)) {
      if (have.has(`${entity.set}.${name}`)) continue;
      await client.query(`ALTER TABLE ${ident(entity.set)} ADD COLUMN ${columnDdl(name, f)}`);
      added.push(`${entity.set}.${name}`);
    }
  }
  return added;
}
