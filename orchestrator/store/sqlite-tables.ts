import Database from 'better-sqlite3';
import { storedValueChangeStatements } from './stored-value-sql.js';
import { COLUMN_RENAMES } from './column-renames.js';
import { randomUUID } from 'node:crypto';
import { preparePrivateDbFiles } from '../../node-shared/private-file.js';
import { entities, uniqueFields, type EntityDef, type FieldDef } from '../../shared/records/index.js';
import { StoreError } from './store-types.js';
import { timeOrderedUuid } from './time-ordered-id.js';

/** A record as stored: every field of its entity, null when unset. */
export type Row = Record<string, unknown>;

/** A condition, order and page in SQLite's dialect, written by this folder's repositories. */
export interface RowQuery {
  /** SQL boolean expression over the entity's columns (field names), with `?` placeholders. */
  readonly where?: string;
  readonly params?: readonly unknown[];
  /** SQL ORDER BY list over field names, e.g. `priority DESC, createdon ASC`. */
  readonly orderBy?: string;
  readonly limit?: number;
  readonly offset?: number;
}

const sqlType = (f: FieldDef): string => {
  switch (f.edm) {
    case 'Edm.Int32':
    case 'Edm.Int64':
    case 'Edm.Boolean':
      return 'INTEGER';
    case 'Edm.Double':
      return 'REAL';
    default:
      return 'TEXT';
  }
};

/** Extra indexes the queue and the API's common filters need. */
const INDEXES: Record<string, string[]> = {
  flowsessions: [
    'statuscode, priority DESC, createdon',
    '_machinegroupid_value, statuscode',
    '_machineid_value, statuscode',
    '_regardingobjectid_value',
    'createdon',
    // The Web API compares GUIDs case-insensitively (`IS ? COLLATE NOCASE`), which only a NOCASE index serves; the
    // key as the last column serves the default order (by key) of a `$top` page without sorting every match.
    'statuscode, flowsessionid',
    '_machinegroupid_value COLLATE NOCASE, statuscode, flowsessionid',
    '_machineid_value COLLATE NOCASE, statuscode, flowsessionid',
    '_regardingobjectid_value COLLATE NOCASE, createdon',
    // A parent's children: what its token reads, the open-children limit, the cascade when it ends.
    '_parentsessionid_value COLLATE NOCASE, statuscode',
  ],
  // One index serves both the API (NOCASE) and the writers' own lookups (which compare NOCASE too): every flowlog
  // insert pays for each index, and replay inserts a row per log line.
  flowlogs: ['_flowsessionid_value COLLATE NOCASE, seq'],
  flowmachines: ['_flowmachinegroupid_value'],
};

/** Rows a bulk INSERT statement carries (64 rows of the widest record stay far below SQLite's 32,766 parameters). */
const ROWS_PER_INSERT = 64;

/** An entity's bulk INSERT: its columns in order, where the key and version sit, and the two statements. */
interface BulkInsert {
  readonly names: readonly string[];
  readonly column: ReadonlyMap<string, number>;
  readonly key: number;
  readonly version: number;
  readonly single: Database.Statement;
  readonly many: Database.Statement;
}

export interface SqliteTablesOptions {
  /** Path of the database file, or ':memory:'. */
  readonly file: string;
  readonly now?: () => Date;
}

/**
 * The SQLite store's engine: one table per `EntityDef` (columns added at start), extra indexes, generic row access by
 * key and by SQL condition. Only the SQLite repositories (this folder) use it; SQL text stays in this folder.
 */
/** Set once a database's stored option-set values are Microsoft's. */
const OPTION_SETS_MARKER = 'store.optionsets.microsoft';
/** Set once a database's columns carry the names of COLUMN_RENAMES. */
const COLUMN_NAMES_MARKER = 'store.columns.seednames';

export class SqliteTables {
  readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly stmts = new Map<string, Database.Statement>();
  private readonly bulk = new Map<EntityDef, BulkInsert>();

  constructor(options: SqliteTablesOptions) {
    this.now = options.now ?? (() => new Date());
    // Created 0600 before SQLite opens it, so its WAL and SHM are 0600 too; files of an older start are tightened.
    preparePrivateDbFiles(options.file);
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    this.renameColumns();
    for (const entity of Object.values(entities)) {
      const cols = Object.entries(entity.fields).map(
        ([name, f]) => `"${name}" ${sqlType(f)}${name === entity.key ? ' PRIMARY KEY' : ''}`,
      );
      this.db.exec(`CREATE TABLE IF NOT EXISTS "${entity.set}" (${cols.join(', ')})`);
      // Columns added to a record after a database was created.
      const have = new Set((this.db.prepare(`PRAGMA table_info("${entity.set}")`).all() as { name: string }[]).map((c) => c.name));
      for (const [name, f] of Object.entries(entity.fields)) {
        if (!have.has(name)) this.db.exec(`ALTER TABLE "${entity.set}" ADD COLUMN "${name}" ${sqlType(f)}`);
      }
      (INDEXES[entity.set] ?? []).forEach((cols, i) =>
        this.db.exec(`CREATE INDEX IF NOT EXISTS "ix_${entity.set}_${i}" ON "${entity.set}" (${cols})`),
      );
      uniqueFields(entity).forEach((col) =>
        this.db.exec(`CREATE UNIQUE INDEX IF NOT EXISTS "ux_${entity.set}_${col}" ON "${entity.set}" ("${col}" COLLATE NOCASE)`),
      );
    }
    // Option-set values whose meaning changed (shared/stored-value-changes.ts), rewritten once per database.
    if (this.getMeta(OPTION_SETS_MARKER) === undefined) {
      this.transaction(() => {
        for (const sql of storedValueChangeStatements()) this.db.exec(sql);
        this.setMeta(OPTION_SETS_MARKER, new Date().toISOString());
      });
    }
  }

  /** COLUMN_RENAMES, once per database (before the new names would be added as empty columns). */
  private renameColumns(): void {
    if (this.getMeta(COLUMN_NAMES_MARKER) !== undefined) return;
    this.transaction(() => {
      for (const { set, from, to } of COLUMN_RENAMES) {
        const have = new Set((this.db.prepare(`PRAGMA table_info("${set}")`).all() as { name: string }[]).map((c) => c.name));
        if (have.has(from) && !have.has(to)) this.db.exec(`ALTER TABLE "${set}" RENAME COLUMN "${from}" TO "${to}"`);
      }
      this.setMeta(COLUMN_NAMES_MARKER, new Date().toISOString());
    });
  }

  stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      // Filters make many distinct statements; keep the cache bounded.
      if (this.stmts.size >= 500) this.stmts.clear();
      this.stmts.set(sql, s);
    }
    return s;
  }

  toRow(entity: EntityDef, raw: Record<string, unknown> | undefined): Row | undefined {
    if (!raw) return undefined;
    const row: Row = {};
    for (const [name, f] of Object.entries(entity.fields)) {
      const v = raw[name] ?? null;
      row[name] = f.edm === 'Edm.Boolean' && v !== null ? v === 1 : v;
    }
    return row;
  }

  private toSql(entity: EntityDef, values: Row): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(values)) {
      const f = entity.fields[name];
      if (!f) throw new StoreError('Conflict', `${entity.name} has no field '${name}'`);
      out[name] = typeof v === 'boolean' ? (v ? 1 : 0) : v === undefined ? null : v;
    }
    return out;
  }

  insert(entity: EntityDef, values: Row): Row {
    const now = this.now().toISOString();
    const id = (values[entity.key] as string | undefined) ?? randomUUID();
    const full = this.toSql(entity, { createdon: now, modifiedon: now, ...values, [entity.key]: id, versionnumber: 1 });
    const names = Object.keys(full);
    this.refuseClash(entity, () =>
      this.stmt(`INSERT INTO "${entity.set}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map((n) => `@${n}`).join(', ')})`).run(full),
    );
    return this.get(entity, id)!;
  }

  insertMany(entity: EntityDef, rows: readonly Row[]): void {
    if (rows.length === 0) return;
    const bulk = this.bulkInsert(entity);
    const toArgs = this.rowArgs(entity, bulk);
    this.refuseClash(entity, () =>
      this.transaction(() => {
        const args: unknown[] = [];
        let i = 0;
        for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) {
          args.length = 0;
          for (let j = i; j < i + ROWS_PER_INSERT; j++) toArgs(rows[j]!, args);
          bulk.many.run(args);
        }
        for (; i < rows.length; i++) {
          args.length = 0;
          bulk.single.run(toArgs(rows[i]!, args));
        }
      }),
    );
  }

  /**
   * An entity's bulk INSERT statements, prepared once: every column, bound by position, so the same statements
   * serve whatever fields each row sets. Several rows a statement save a third of the CPU of one-row INSERTs.
   */
  private bulkInsert(entity: EntityDef): BulkInsert {
    let bulk = this.bulk.get(entity);
    if (!bulk) {
      const names = Object.keys(entity.fields);
      const one = `(${names.map(() => '?').join(', ')})`;
      const head = `INSERT INTO "${entity.set}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES `;
      const column = new Map(names.map((n, i) => [n, i]));
      bulk = {
        names,
        column,
        key: column.get(entity.key)!,
        version: column.get('versionnumber')!,
        single: this.db.prepare(head + one),
        many: this.db.prepare(head + Array<string>(ROWS_PER_INSERT).fill(one).join(', ')),
      };
      this.bulk.set(entity, bulk);
    }
    return bulk;
  }

  /** Appends a row's values to `args` in column order, filled in as `insert` fills them (key, times, version 1). */
  private rowArgs(entity: EntityDef, { names, column, key, version }: BulkInsert): (values: Row, args: unknown[]) => unknown[] {
    const now = this.now().toISOString();
    const fixed = { createdon: now, modifiedon: now, versionnumber: 1 } as Row;
    const template = names.map((n) => fixed[n] ?? null);
    return (values, args) => {
      const at = args.length;
      for (const v of template) args.push(v);
      for (const name in values) {
        const i = column.get(name);
        if (i === undefined) throw new StoreError('Conflict', `${entity.name} has no field '${name}'`);
        const v = values[name];
        if (v !== undefined && v !== null) args[at + i] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      }
      if (args[at + key] === null) args[at + key] = timeOrderedUuid();
      args[at + version] = 1;
      return args;
    };
  }

  /** Runs an INSERT or UPDATE; a key or unique-name clash becomes a StoreError Conflict. */
  private refuseClash(entity: EntityDef, run: () => unknown): void {
    try {
      run();
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) {
        throw new StoreError('Conflict', `a ${entity.name} with the same key or name already exists`);
      }
      throw err;
    }
  }

  get(entity: EntityDef, id: string): Row | undefined {
    return this.toRow(entity, this.stmt(`SELECT * FROM "${entity.set}" WHERE "${entity.key}" = ?`).get(id) as Record<string, unknown> | undefined);
  }

  private checkVersion(entity: EntityDef, id: string, ifVersion: number | undefined): Row {
    const current = this.get(entity, id);
    if (!current) throw new StoreError('NotFound', `${entity.name} ${id} does not exist`);
    if (ifVersion !== undefined && current['versionnumber'] !== ifVersion) {
      throw new StoreError('PreconditionFailed', `${entity.name} ${id} was changed by someone else (version ${String(current['versionnumber'])})`);
    }
    return current;
  }

  update(entity: EntityDef, id: string, patch: Row, ifVersion?: number): Row {
    return this.transaction(() => {
      const current = this.checkVersion(entity, id, ifVersion);
      this.patch(entity, id, patch);
      return { ...current, ...this.get(entity, id)! };
    });
  }

  patch(entity: EntityDef, id: string, patch: Row): boolean {
    const { [entity.key]: _ignored, versionnumber: _v, createdon: _c, ...rest } = patch;
    const values = this.toSql(entity, { ...rest, modifiedon: this.now().toISOString() });
    const sets = Object.keys(values).map((n) => `"${n}" = @${n}`);
    const sql = `UPDATE "${entity.set}" SET ${sets.join(', ')}, versionnumber = versionnumber + 1 WHERE "${entity.key}" = @__id`;
    let changes = 0;
    this.refuseClash(entity, () => (changes = this.stmt(sql).run({ ...values, __id: id }).changes));
    return changes > 0;
  }

  delete(entity: EntityDef, id: string, ifVersion?: number): void {
    this.transaction(() => {
      this.checkVersion(entity, id, ifVersion);
      this.stmt(`DELETE FROM "${entity.set}" WHERE "${entity.key}" = ?`).run(id);
    });
  }

  query(entity: EntityDef, q: RowQuery = {}): Row[] {
    let sql = `SELECT * FROM "${entity.set}"`;
    if (q.where) sql += ` WHERE ${q.where}`;
    sql += ` ORDER BY ${q.orderBy ? `${q.orderBy}, ` : ''}"${entity.key}"`;
    if (q.limit !== undefined) sql += ` LIMIT ${Math.max(0, Math.floor(q.limit))}`;
    if (q.offset) sql += `${q.limit === undefined ? ' LIMIT -1' : ''} OFFSET ${Math.max(0, Math.floor(q.offset))}`;
    return (this.stmt(sql).all(...(q.params ?? [])) as Record<string, unknown>[]).map((r) => this.toRow(entity, r)!);
  }

  count(entity: EntityDef, q: Pick<RowQuery, 'where' | 'params'> = {}): number {
    const sql = `SELECT COUNT(*) AS n FROM "${entity.set}"${q.where ? ` WHERE ${q.where}` : ''}`;
    return (this.stmt(sql).get(...(q.params ?? [])) as { n: number }).n;
  }

  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.db.transaction(fn).immediate();
  }

  /**
   * `fn` in one transaction (BEGIN IMMEDIATE: the writer lock at once) that may await between its statements; the
   * caller makes sure nothing else uses the connection meanwhile. With `crashSafe`, the commit does not wait for the
   * disk (synchronous=NORMAL: it survives a kill -9 at once) and `crashSafe` is told of it for the group sync.
   */
  async asyncTransaction<T>(fn: () => Promise<T>, o: { readonly crashSafe?: () => void } = {}): Promise<T> {
    if (o.crashSafe) this.stmt('PRAGMA synchronous = NORMAL').run();
    try {
      this.stmt('BEGIN IMMEDIATE').run();
      let result: T;
      try {
        result = await fn();
      } catch (err) {
        if (this.db.inTransaction) this.stmt('ROLLBACK').run();
        throw err;
      }
      this.stmt('COMMIT').run();
      o.crashSafe?.();
      return result;
    } finally {
      if (o.crashSafe) this.stmt('PRAGMA synchronous = FULL').run();
    }
  }

  getMeta(key: string): string | undefined {
    return (this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    this.db.close();
  }
}
