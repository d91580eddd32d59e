import type { Synced } from './sqlite-async.js';
import { BackgroundOperationState, SessionState, SessionStatus } from '../../shared/option-sets.js';
import {
  backgroundoperationEntity,
  flowlogEntity,
  flowmachineEntity,
  flowmachinegroupEntity,
  flowsessionEntity,
  workflowEntity,
  type BackgroundOperation,
  type EntityDef,
  type FlowLog,
  type FlowMachine,
  type FlowMachineGroup,
  type FlowSession,
  type Workflow,
} from '../../shared/records/index.js';
import type {
  EntityRepository,
  GroupRecord,
  GroupRepository,
  LogRecord,
  LogRepository,
  SessionLogRow,
  MachineRecord,
  MachineRepository,
  OperationRecord,
  OperationRepository,
  SessionRecord,
  SessionRepository,
  Values,
  WorkflowRecord,
  WorkflowRepository,
} from './repositories.js';
import { assignmentKey } from './queue-state-keys.js';
import { escapeLike } from './sqlite-filter.js';
import { MAY_HOLD_ASSIGNMENT, OPEN } from './session-conditions.js';
import type { Row, SqliteTables } from './sqlite-tables.js';

const S = SessionStatus.v;

/** One entity's table as typed records: the rows the tables return carry every field of the record schema. */
class SqliteEntityRepository<R, S extends R> implements Synced<EntityRepository<R, S>> {
  constructor(
    protected readonly t: SqliteTables,
    protected readonly entity: EntityDef,
  ) {}

  protected typed(row: Row): S {
    return row as unknown as S;
  }

  get(id: string): S | undefined {
    const row = this.t.get(this.entity, id);
    return row && this.typed(row);
  }

  insert(values: Values<R>): S {
    return this.typed(this.t.insert(this.entity, values as Row));
  }

  update(id: string, changes: Values<R>, ifVersion?: number): S {
    return this.typed(this.t.update(this.entity, id, changes as Row, ifVersion));
  }

  patch(id: string, changes: Values<R>): boolean {
    return this.t.patch(this.entity, id, changes as Row);
  }

  delete(id: string, ifVersion?: number): void {
    this.t.delete(this.entity, id, ifVersion);
  }

  all(): S[] {
    return this.where();
  }

  protected where(where?: string, params: readonly unknown[] = [], orderBy?: string): S[] {
    return this.t.query(this.entity, { where, params, orderBy }).map((row) => this.typed(row));
  }

  protected countWhere(where: string, params: readonly unknown[]): number {
    return this.t.count(this.entity, { where, params });
  }
}

export class SqliteSessions extends SqliteEntityRepository<FlowSession, SessionRecord> implements Synced<SessionRepository> {
  constructor(t: SqliteTables) {
    super(t, flowsessionEntity);
  }

  /** One transaction at a time: no row is ever held by another. */
  setWaitingReason(sessionId: string, reason: string): boolean {
    const session = this.t.get(flowsessionEntity, sessionId);
    if (session?.['statuscode'] !== S.Waiting || this.t.getMeta(assignmentKey(sessionId))) return false;
    return this.t.patch(flowsessionEntity, sessionId, { queuereason: reason });
  }

  countOpenForMachine(machineId: string): number {
    return this.countWhere(`_machineid_value = ? AND ${OPEN}`, [machineId]);
  }

  countOpenForWorkflow(workflowId: string): number {
    return this.countWhere(`_regardingobjectid_value = ? AND ${OPEN}`, [workflowId]);
  }

  countOpenForGroup(groupId: string): number {
    return this.countWhere(`_machinegroupid_value = ? AND ${OPEN}`, [groupId]);
  }

  waitingInQueueOrder(): SessionRecord[] {
    return this.where('statuscode = ? AND statecode = ?', [S.Waiting, SessionState.v.Active], 'createdon');
  }

  openAssigned(): SessionRecord[] {
    return this.where(`${MAY_HOLD_ASSIGNMENT} AND _machineid_value IS NOT NULL`);
  }

  withUnsplitInputs(workflowId: string): SessionRecord[] {
    return this.where('_regardingobjectid_value = ? COLLATE NOCASE AND secretinputs IS NULL AND inputs IS NOT NULL', [workflowId]);
  }
}

export class SqliteLogs implements Synced<LogRepository> {
  constructor(private readonly t: SqliteTables) {}

  insertMany(rows: readonly Values<FlowLog>[]): void {
    this.t.insertMany(flowlogEntity, rows as readonly Row[]);
  }

  forSession(sessionId: string): LogRecord[] {
    return this.t.query(flowlogEntity, { where: '_flowsessionid_value = ? COLLATE NOCASE', params: [sessionId], orderBy: 'seq' }) as unknown as LogRecord[];
  }

  lastSeq(sessionId: string): number | undefined {
    const row = this.t.stmt('SELECT seq FROM flowlogs WHERE _flowsessionid_value = ? COLLATE NOCASE ORDER BY seq DESC LIMIT 1').get(sessionId) as { seq: number } | undefined;
    return row?.seq;
  }

  deleteForSession(sessionId: string): void {
    this.t.stmt('DELETE FROM flowlogs WHERE _flowsessionid_value = ? COLLATE NOCASE').run(sessionId);
  }

  appendToSession(sessionId: string, rows: readonly SessionLogRow[]): void {
    if (rows.length === 0) return;
    const first = (this.lastSeq(sessionId) ?? -1) + 1;
    this.insertMany(rows.map((r, i) => ({ ...r, _flowsessionid_value: sessionId, seq: first + i })));
  }
}

export class SqliteMachines extends SqliteEntityRepository<FlowMachine, MachineRecord> implements Synced<MachineRepository> {
  constructor(t: SqliteTables) {
    super(t, flowmachineEntity);
  }

  connected(): MachineRecord[] {
    return this.where('connected = 1');
  }

  inGroup(groupId: string): MachineRecord[] {
    return this.where('_flowmachinegroupid_value = ?', [groupId]);
  }
}

export class SqliteGroups extends SqliteEntityRepository<FlowMachineGroup, GroupRecord> implements Synced<GroupRepository> {
  constructor(t: SqliteTables) {
    super(t, flowmachinegroupEntity);
  }

  byName(name: string): GroupRecord | undefined {
    return this.where('name = ? COLLATE NOCASE', [name])[0];
  }
}

export class SqliteWorkflows extends SqliteEntityRepository<Workflow, WorkflowRecord> implements Synced<WorkflowRepository> {
  constructor(t: SqliteTables) {
    super(t, workflowEntity);
  }

  withSecretInputs(): WorkflowRecord[] {
    return this.where(`inputschema LIKE '%x-secret%'`);
  }
}

export class SqliteOperations extends SqliteEntityRepository<BackgroundOperation, OperationRecord> implements Synced<OperationRepository> {
  constructor(t: SqliteTables) {
    super(t, backgroundoperationEntity);
  }

  openWithPrefix(prefix: string): OperationRecord[] {
    return this.where(`name LIKE ? ESCAPE '\\' AND backgroundoperationstatecode <> ?`, [`${escapeLike(prefix)}%`, BackgroundOperationState.v.Completed]);
  }

  readyWithPrefix(prefix: string): OperationRecord[] {
    return this.where(`backgroundoperationstatecode = ? AND name LIKE ? ESCAPE '\\'`, [BackgroundOperationState.v.Ready, `${escapeLike(prefix)}%`]);
  }
}
