import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { MIGRATION_LOCK_KEY, MIGRATIONS, migrate, SchemaTooNewError, type Migration } from '../../../../orchestrator/store/postgres-migrations.js';
import { hasPostgres, POSTGRES, startPostgres, type PostgresServer } from '../../../support/postgres.js';
import { skipUnless } from '../../../support/requirements.js';
import { waitFor } from '../../../support/wait-for.js';

/** A pool on a fresh empty database of `server`, ended when the test ends. */
async function freshPool(server: PostgresServer, database?: string): Promise<{ pool: pg.Pool; database: string }> {
  const name = database ?? (await server.createDatabase());
  const pool = new pg.Pool({ ...server.connection(name), max: 2 });
  // An idle connection the server closes as it shuts down after the last test is no failure.
  pool.on('error', () => undefined);
  onTestFinished(() => pool.end());
  return { pool, database: name };
}

/** MIGRATIONS and one more version, each counting how often its statements were run (rolled back or not). */
function counted(): { migrations: Migration[]; runs: Map<number, number> } {
  const runs = new Map<number, number>();
  const count = (m: Migration): Migration => ({ ...m, statements: () => (runs.set(m.version, (runs.get(m.version) ?? 0) + 1), m.statements()) });
  const next: Migration = { version: MIGRATIONS.length + 1, name: 'a column of meta', statements: () => ['ALTER TABLE meta ADD COLUMN note text'] };
  return { migrations: [...MIGRATIONS, next].map(count), runs };
}

describe.skipIf(skipUnless(hasPostgres, POSTGRES))('PostgreSQL schema and migrations', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.close());

  it('creates every entity table with a column type per EDM type, the indexes and meta on an empty database', async () => {
    const { pool } = await freshPool(server);
    expect(await migrate(pool)).toEqual({ applied: [1, 2, 3], addedColumns: [] });

    const { rows } = await pool.query<{ table_name: string; column_name: string; data_type: string }>(
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'",
    );
    const type = (table: string, column: string) => rows.find((r) => r.table_name === table && r.column_name === column)?.data_type;
    expect(new Set(rows.map((r) => r.table_name))).toEqual(new Set(['flowsessions', 'flowmachines', 'flowmachinegroups', 'workflows', 'flowlogs', 'backgroundoperations', 'schedules', 'meta', 'schema_version', 'flowsession_screenshots']));
    expect(type('flowsessions', 'flowsessionid')).toBe('uuid');
    expect(type('flowsessions', 'priority')).toBe('integer');
    expect(type('flowsessions', 'runduration')).toBe('bigint');
    expect(type('flowsessions', 'machinepercentcpuusage')).toBe('double precision');
    expect(type('flowsessions', 'createdon')).toBe('timestamp with time zone');
    expect(type('flowsessions', 'inputs')).toBe('text');
    expect(type('flowmachines', 'connected')).toBe('boolean');

    const indexes = (await pool.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")).rows.map((r) => r.indexname);
    expect(indexes).toEqual(expect.arrayContaining(['ix_flowsessions_0', 'ix_flowlogs_0', 'ix_flowmachines_0', 'ux_flowmachinegroups_name']));

    // GUIDs compare whatever their case; group names are unique whatever their case.
    const id = '0F8FAD5B-D9CB-469F-A165-70867728950E';
    await pool.query('INSERT INTO flowmachinegroups (flowmachinegroupid, name) VALUES ($1, $2)', [id, 'Ops']);
    expect((await pool.query('SELECT name FROM flowmachinegroups WHERE flowmachinegroupid = $1', [id.toLowerCase()])).rows).toEqual([{ name: 'Ops' }]);
    await expect(pool.query('INSERT INTO flowmachinegroups (flowmachinegroupid, name) VALUES (gen_random_uuid(), $1)', ['oPS'])).rejects.toMatchObject({ code: '23505' });
    await pool.query("INSERT INTO meta (key, value) VALUES ('k', 'v')");
  });

  it('applies each version once when three instances start at the same time, and a second start is a no-op', async () => {
    const { database } = await freshPool(server);
    const { migrations, runs } = counted();
    // Three instances, each with its own connections, already connected so that they reach the lock together.
    const pools = await Promise.all(
      [0, 1, 2].map(async () => {
        const { pool } = await freshPool(server, database);
        (await pool.connect()).release();
        return pool;
      }),
    );
    const results = await Promise.all(pools.map((pool) => migrate(pool, migrations)));

    expect(results.flatMap((r) => r.applied).sort()).toEqual([1, 2, 3, 4]);
    expect(Object.fromEntries(runs)).toEqual({ 1: 1, 2: 1, 3: 1, 4: 1 });
    const versions = await pools[0]!.query<{ version: number; name: string }>('SELECT version, name FROM schema_version ORDER BY version');
    expect(versions.rows).toEqual([
      { version: 1, name: MIGRATIONS[0]!.name },
      { version: 2, name: 'session screenshots' },
      { version: 3, name: MIGRATIONS[2]!.name },
      { version: 4, name: 'a column of meta' },
    ]);

    expect(await migrate(pools[1]!, migrations)).toEqual({ applied: [], addedColumns: [] });
    expect(Object.fromEntries(runs)).toEqual({ 1: 1, 2: 1, 3: 1, 4: 1 });
  });

  it('waits for an instance migrating, and goes on when that instance dies without committing', async () => {
    const { pool, database } = await freshPool(server);
    // An instance in the middle of its migration: it holds the lock and has created a table it never commits.
    const dying = new pg.Client(server.connection(database));
    dying.on('error', () => undefined);
    await dying.connect();
    await dying.query('BEGIN');
    await dying.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
    await dying.query('CREATE TABLE meta (half text)');

    const migrating = migrate(pool);
    await waitFor(
      async () => (await pool.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).rowCount === 1,
      { what: 'the second migrator to wait for the lock' },
    );
    // Its process killed: the OS closes its connection, the server rolls its transaction back and frees the lock.
    (dying as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();

    expect(await migrating).toEqual({ applied: [1, 2, 3], addedColumns: [] });
    expect((await pool.query('SELECT key, value FROM meta')).fields.map((f) => f.name)).toEqual(['key', 'value']);
  });

  it('adds the column of a field an entity gained after its table was created', async () => {
    const { pool } = await freshPool(server);
    await migrate(pool);
    await pool.query('ALTER TABLE flowsessions DROP COLUMN gateway');
    expect(await migrate(pool)).toEqual({ applied: [], addedColumns: ['flowsessions.gateway'] });
    expect(await migrate(pool)).toEqual({ applied: [], addedColumns: [] });
  });

  it('adds the table of an entity added after the database was made (schedules on a database from before them)', async () => {
    const { pool } = await freshPool(server);
    await migrate(pool);
    await pool.query('DROP TABLE schedules');
    expect(await migrate(pool)).toEqual({ applied: [], addedColumns: ['schedules'] });
    expect((await pool.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'schedules' AND column_name = 'cronexpression'")).rowCount).toBe(1);
    expect(await migrate(pool)).toEqual({ applied: [], addedColumns: [] });
  });

  it('refuses a database whose schema is newer than this orchestrator, changing nothing', async () => {
    const { pool } = await freshPool(server);
    await migrate(pool);
    await pool.query("INSERT INTO schema_version (version, name) VALUES (99, 'from the future')");
    await pool.query('ALTER TABLE flowsessions DROP COLUMN gateway');
    await expect(migrate(pool)).rejects.toBeInstanceOf(SchemaTooNewError);
    expect((await pool.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'flowsessions' AND column_name = 'gateway'")).rowCount).toBe(0);
  });
});
