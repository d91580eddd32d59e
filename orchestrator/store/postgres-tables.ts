import { randomUUID } from 'node:crypto';
import type { EntityDef } from '../../shared/records/index.js';
import type { PgExecutor, QueryResult } from './postgres-executor.js';
import { isGuidText, numbered } from './postgres-filter.js';
import { ident } from './postgres-schema.js';
import { StoreError } from './store-types.js';
import { timeOrderedUuid } from './time-ordered-id.js';

/** A record as stored: every field of its entity, null when unset. */
export type Row = Record<string, unknown>;

/** A condition, order and page in PostgreSQL's dialect, written by this folder's repositories. */
export interface PgRowQuery {
  /** SQL boolean expression over the entity's columns, with `?` placeholders. */
  readonly where?: string;
  readonly params?: readonly unknown[];
  /** SQL ORDER BY list, e.g. `priority DESC, createdon ASC`. */
  readonly orderBy?: string;
  readonly limit?: number;
  readonly offset?: number;
}

/** Fields PostgreSQL keeps unique case-insensitively, per entity set (postgres-schema.ts). */
const UNIQUE_FIELDS: Readonly<Record<string, readonly string[]>> = { flowmachinegroups: ['name'] };
/** Parameters a bulk INSERT statement carries at most (PostgreSQL's limit is 65,535). */
const PARAMS_PER_INSERT = 30_000;

const isUniqueViolation = (err: unknown): boolean => (err as { code?: unknown }).code === '23505';
const conflict = (entity: EntityDef) => new StoreError('Conflict', `a ${entity.name} with the same key or name already exists`);

/**
 * The PostgreSQL store's generic row access, by key and by SQL condition, over whatever executor it is given (the
 * pool, or a transaction's client). Rows come back as the SQLite store returns them: a GUID as text, an Int64 as a
 * number (pg reads bigint as a string), a time as its ISO text (pg reads timestamptz as a Date). A key that is no
 * GUID finds nothing, as in SQLite, instead of PostgreSQL's 22P02.
 */
export class PgTables {
  constructor(private readonly now: () => Date) {}

  toRow(entity: EntityDef, raw: Record<string, unknown> | undefined): Row | undefined {
    if (!raw) return undefined;
    const row: Row = {};
    for (const [name, f] of Object.entries(entity.fields)) {
      const v = raw[name] ?? null;
      row[name] = v instanceof Date ? v.toISOString() : f.edm === 'Edm.Int64' && typeof v === 'string' ? Number(v) : v;
    }
    return row;
  }

  private checked(entity: EntityDef, values: Row): Row {
    const out: Row = {};
    for (const [name, v] of Object.entries(values)) {
      if (!Object.hasOwn(entity.fields, name)) throw new StoreError('Conflict', `${entity.name} has no field '${name}'`);
      out[name] = v === undefined ? null : v;
    }
    return out;
  }

  async insert(db: PgExecutor, entity: EntityDef, values: Row): Promise<Row> {
    const now = this.now().toISOString();
    const id = (values[entity.key] as string | undefined) ?? randomUUID();
    const full = this.checked(entity, { createdon: now, modifiedon: now, ...values, [entity.key]: id, versionnumber: 1 });
    const names = Object.keys(full);
    // ON CONFLICT DO NOTHING: a clash leaves an open transaction usable, as a refused INSERT does in SQLite.
    const sql = `INSERT INTO ${ident(entity.set)} (${names.map(ident).join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT DO NOTHING RETURNING *`;
    const { rows } = await db.query(sql, names.map((n) => full[n]));
    if (!rows[0]) throw conflict(entity);
    return this.toRow(entity, rows[0])!;
  }

  /** Appends rows atomically (a transaction of its own, or a savepoint in the caller's); a clash is Conflict. */
  async insertMany(db: PgExecutor, entity: EntityDef, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const names = Object.keys(entity.fields);
    const column = new Map(names.map((n, i) => [n, i]));
    const now = this.now().toISOString();
    const args = (values: Row): unknown[] => {
      const out: unknown[] = names.map((n) => (n === 'createdon' || n === 'modifiedon' ? now : null));
      for (const name in values) {
        const i = column.get(name);
        if (i === undefined) throw new StoreError('Conflict', `${entity.name} has no field '${name}'`);
        const v = values[name];
        if (v !== undefined && v !== null) out[i] = v;
      }
      out[column.get(entity.key)!] ??= timeOrderedUuid();
      out[column.get('versionnumber')!] = 1;
      return out;
    };
    const perStatement = Math.max(1, Math.floor(PARAMS_PER_INSERT / names.length));
    const head = `INSERT INTO ${ident(entity.set)} (${names.map(ident).join(', ')}) VALUES `;
    const one = `(${names.map(() => '?').join(', ')})`;
    await db.atomic(async (atomic) => {
      for (let i = 0; i < rows.length; i += perStatement) {
        const chunk = rows.slice(i, i + perStatement);
        try {
          await atomic.query(numbered(head + chunk.map(() => one).join(', ')), chunk.flatMap(args));
        } catch (err) {
          throw isUniqueViolation(err) ? conflict(entity) : err;
        }
      }
    });
  }

  async get(db: PgExecutor, entity: EntityDef, id: string): Promise<Row | undefined> {
    if (!isGuidText(id)) return undefined;
    const { rows } = await db.query(`SELECT * FROM ${ident(entity.set)} WHERE ${ident(entity.key)} = $1`, [id]);
    return this.toRow(entity, rows[0]);
  }

  /** Why a conditional write found no row: NotFound, or PreconditionFailed when the record is there at another version. */
  private async missed(db: PgExecutor, entity: EntityDef, id: string, ifVersion: number | undefined): Promise<StoreError> {
    const current = ifVersion === undefined ? undefined : await this.get(db, entity, id);
    if (!current) return new StoreError('NotFound', `${entity.name} ${id} does not exist`);
    return new StoreError('PreconditionFailed', `${entity.name} ${id} was changed by someone else (version ${String(current['versionnumber'])})`);
  }

  /** The UPDATE of `patch` on the record `id` (at `ifVersion` when given): its SQL and parameters. */
  private updateSql(entity: EntityDef, id: string, patch: Row, ifVersion: number | undefined, returning: boolean): { sql: string; params: unknown[] } {
    const { [entity.key]: _ignored, versionnumber: _v, createdon: _c, ...rest } = patch;
    const values = this.checked(entity, { ...rest, modifiedon: this.now().toISOString() });
    const names = Object.keys(values);
    const params = [...names.map((n) => values[n]), id];
    let sql = `UPDATE ${ident(entity.set)} SET ${names.map((n, i) => `${ident(n)} = $${i + 1}`).join(', ')}, versionnumber = versionnumber + 1 WHERE ${ident(entity.key)} = $${names.length + 1}`;
    if (ifVersion !== undefined) sql += ` AND versionnumber = $${params.push(ifVersion)}`;
    return { sql: returning ? `${sql} RETURNING *` : sql, params };
  }

  /** Runs an UPDATE; one that may break a unique name runs in a savepoint, so that its Conflict leaves a transaction usable. */
  private async runUpdate(db: PgExecutor, entity: EntityDef, patch: Row, sql: string, params: unknown[]): Promise<QueryResult> {
    const unique = (UNIQUE_FIELDS[entity.set] ?? []).some((f) => Object.hasOwn(patch, f));
    try {
      return await (unique ? db.atomic((a) => a.query(sql, params)) : db.query(sql, params));
    } catch (err) {
      throw isUniqueViolation(err) ? conflict(entity) : err;
    }
  }

  async update(db: PgExecutor, entity: EntityDef, id: string, patch: Row, ifVersion?: number): Promise<Row> {
    if (!isGuidText(id)) throw await this.missed(db, entity, id, undefined);
    const { sql, params } = this.updateSql(entity, id, patch, ifVersion, true);
    const [row] = (await this.runUpdate(db, entity, patch, sql, params)).rows;
    if (!row) throw await this.missed(db, entity, id, ifVersion);
    return this.toRow(entity, row)!;
  }

  async patch(db: PgExecutor, entity: EntityDef, id: string, patch: Row): Promise<boolean> {
    if (!isGuidText(id)) return false;
    const { sql, params } = this.updateSql(entity, id, patch, undefined, false);
    return ((await this.runUpdate(db, entity, patch, sql, params)).rowCount ?? 0) > 0;
  }

  async delete(db: PgExecutor, entity: EntityDef, id: string, ifVersion?: number): Promise<void> {
    if (!isGuidText(id)) throw await this.missed(db, entity, id, undefined);
    const params: unknown[] = [id];
    let sql = `DELETE FROM ${ident(entity.set)} WHERE ${ident(entity.key)} = $1`;
    if (ifVersion !== undefined) sql += ` AND versionnumber = $${params.push(ifVersion)}`;
    if (((await db.query(sql, params)).rowCount ?? 0) === 0) throw await this.missed(db, entity, id, ifVersion);
  }

  async query(db: PgExecutor, entity: EntityDef, q: PgRowQuery = {}): Promise<Row[]> {
    let sql = `SELECT * FROM ${ident(entity.set)}`;
    if (q.where) sql += ` WHERE ${q.where}`;
    sql += ` ORDER BY ${q.orderBy ? `${q.orderBy}, ` : ''}${ident(entity.key)}`;
    if (q.limit !== undefined) sql += ` LIMIT ${Math.max(0, Math.floor(q.limit))}`;
    if (q.offset) sql += ` OFFSET ${Math.max(0, Math.floor(q.offset))}`;
    const { rows } = await db.query(numbered(sql), q.params ?? []);
    return rows.map((r) => this.toRow(entity, r)!);
  }

  async count(db: PgExecutor, entity: EntityDef, q: Pick<PgRowQuery, 'where' | 'params'> = {}): Promise<number> {
    const sql = `SELECT count(*) AS n FROM ${ident(entity.set)}${q.where ? ` WHERE ${q.where}` : ''}`;
    const { rows } = await db.query<{ n: string }>(numbered(sql), q.params ?? []);
    return Number(rows[0]!.n);
  }

  async getMeta(db: PgExecutor, key: string): Promise<string | undefined> {
    const { rows } = await db.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async setMeta(db: PgExecutor, key: string, value: string): Promise<void> {
    await db.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }
}
