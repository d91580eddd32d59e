import type { Synced } from './sqlite-async.js';
import type { EntityDef } from '../../shared/records/index.js';
import type { RecordRepository } from './repositories.js';
import type { RecordQuery, StoredRecord } from './record-query.js';
import { filterToSql, orderToSql } from './sqlite-filter.js';
import type { SqliteTables } from './sqlite-tables.js';

/** The Web API's generic record path on SQLite: queries compiled by the SQLite dialect (sqlite-filter.ts). */
export class SqliteRecords implements Synced<RecordRepository> {
  constructor(private readonly t: SqliteTables) {}

  get(entity: EntityDef, id: string): StoredRecord | undefined {
    return this.t.get(entity, id);
  }

  list(entity: EntityDef, query: RecordQuery = {}): StoredRecord[] {
    const where = query.filter && filterToSql(entity, query.filter);
    return this.t.query(entity, {
      where: where?.sql,
      params: where?.params,
      orderBy: query.orderBy && query.orderBy.length > 0 ? orderToSql(entity, query.orderBy) : undefined,
      limit: query.top,
      offset: query.skip,
    });
  }

  count(entity: EntityDef, filter?: RecordQuery['filter']): number {
    const where = filter && filterToSql(entity, filter);
    return this.t.count(entity, { where: where?.sql, params: where?.params });
  }

  insert(entity: EntityDef, values: StoredRecord): StoredRecord {
    return this.t.insert(entity, values);
  }

  update(entity: EntityDef, id: string, changes: StoredRecord, ifVersion?: number): StoredRecord {
    return this.t.update(entity, id, changes, ifVersion);
  }

  delete(entity: EntityDef, id: string, ifVersion?: number): void {
    this.t.delete(entity, id, ifVersion);
  }
}
