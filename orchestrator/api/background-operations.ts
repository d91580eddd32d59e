import { Type } from '@sinclair/typebox';
import type { Logger } from 'winston';
import { BackgroundOperationState, BackgroundOperationStatus } from '../../shared/option-sets.js';
import { entities, flowsessionEntity, type BackgroundOperation } from '../../shared/records/index.js';
import { validator } from '../../shared/validate.js';
import { storedInputs } from '../queue/secret-inputs.js';
import type { BackgroundStats } from '../context.js';
import type { Repositories, Store, Values } from '../store/store.js';
import { toApiError } from './api-error.js';
import { BULK_ACTIONS, bulkWrites, type BulkAction } from './bulk-actions.js';
import type { RecordWriter } from './record-writer.js';

/** Name prefix of the backgroundoperation rows this module runs (callback deliveries use their own). */
const NAME_PREFIX = 'bulk:';
const TTL_S = 7 * 24 * 3600;

const BulkInput = Type.Object(
  { set: Type.String(), action: Type.Union(BULK_ACTIONS.map((a) => Type.Literal(a))), body: Type.Unknown() },
  { additionalProperties: false },
);
const bulkInput = validator(BulkInput);

export interface BackgroundBulkOptions {
  readonly store: Store;
  readonly writer: RecordWriter;
  readonly logger: Logger;
  readonly now: () => Date;
}

/** Write-only fields (a group's `password`): the API stores them only hashed, so a finished operation forgets them. */
const writeOnlyFields = (set: string): string[] =>
  Object.entries(entities[set]?.fields ?? {})
    .filter(([, f]) => f.hidden && (f.create || f.update))
    .map(([name]) => name);

/**
 * `inputparameters` with every write-only field of every target replaced by "***", and the secret inputs of session
 * targets masked as the session record keeps them (secret-inputs.ts).
 */
async function redactedInput(stored: string, store: Repositories): Promise<string> {
  try {
    const input = JSON.parse(stored) as { set?: unknown; body?: { Targets?: unknown } };
    const hidden = writeOnlyFields(String(input.set));
    const sessions = input.set === flowsessionEntity.set;
    const targets = input.body?.Targets;
    if ((hidden.length === 0 && !sessions) || !Array.isArray(targets)) return stored;
    for (const t of targets) {
      if (typeof t !== 'object' || t === null) continue;
      const target = t as Record<string, unknown>;
      for (const name of hidden) if (Object.hasOwn(target, name)) target[name] = '***';
      if (sessions && typeof target['inputs'] === 'string') {
        const workflow = await store.workflows.get(String(target['_regardingobjectid_value']));
        target['inputs'] = workflow ? storedInputs(workflow.inputschema, target['inputs']).inputs : '***';
      }
    }
    return JSON.stringify(input);
  } catch {
    return '{}';
  }
}

const S = BackgroundOperationStatus.v;
const St = BackgroundOperationState.v;

/**
 * Bulk actions asked for with `Prefer: respond-async`: each is a backgroundoperation row (Ready → InProgress →
 * Completed Succeeded/Failed). The writes and the Succeeded update commit in one transaction, so an operation cut
 * short by a restart is simply run again at the next start.
 */
export class BackgroundBulk {
  private readonly pending = new Set<NodeJS.Immediate>();
  private closed = false;
  private readonly outcomes = { succeeded: 0, failed: 0 };

  constructor(private readonly o: BackgroundBulkOptions) {}

  /** Records the operation and schedules it; returns its id. */
  async start(set: string, action: BulkAction, body: unknown): Promise<string> {
    const row = await this.o.store.operations.insert({
      name: `${NAME_PREFIX}${action}:${set}`,
      statecode: St.Ready,
      statuscode: S.WaitingForResources,
      inputparameters: JSON.stringify({ set, action, body: body ?? {} }),
      retrycount: 0,
      priority: 0,
      ttlinseconds: TTL_S,
    });
    const id = row.backgroundoperationid;
    this.schedule(id);
    return id;
  }

  /** Runs again every bulk operation that had not completed when the orchestrator stopped. */
  async resume(): Promise<void> {
    for (const op of await this.o.store.operations.openWithPrefix(NAME_PREFIX)) {
      const id = op.backgroundoperationid;
      this.o.logger.info(`resuming background operation ${id} (${op.name})`);
      if (op.statecode === St.Locked) await this.o.store.operations.update(id, { retrycount: (op.retrycount ?? 0) + 1 });
      this.schedule(id);
    }
  }

  /** Operations scheduled and not run yet, and those completed since start. */
  stats(): BackgroundStats {
    return { pending: this.pending.size, ...this.outcomes };
  }

  close(): void {
    this.closed = true;
    for (const t of this.pending) clearImmediate(t);
    this.pending.clear();
  }

  private schedule(id: string): void {
    if (this.closed) return;
    const t = setImmediate(() => {
      this.pending.delete(t);
      if (!this.closed) this.run(id).catch((err: unknown) => this.o.logger.error(`background operation ${id} not run: ${(err as Error).stack ?? String(err)}`));
    });
    this.pending.add(t);
  }

  private async run(id: string): Promise<void> {
    const { store, now } = this.o;
    const op = await store.operations.get(id);
    if (!op || op.statecode === St.Completed) return;
    await store.operations.update(id, { statecode: St.Locked, statuscode: S.InProgress, starttime: now().toISOString() });
    try {
      const input = bulkInput.parse(JSON.parse(op.inputparameters ?? 'null'), 'inputparameters');
      const entity = entities[input.set];
      if (!entity) throw new Error(`unknown entity set ${input.set}`);
      const done = await store.transaction(async (tx) => {
        const written = await bulkWrites(this.o.writer, tx, entity, input.action, input.body);
        await this.finish(tx, id, { statuscode: S.Succeeded, outputparameters: JSON.stringify(written.response) });
        return written;
      });
      await done.after();
      this.outcomes.succeeded++;
    } catch (err) {
      const e = toApiError(err);
      if (e.status >= 500) this.o.logger.error(`background operation ${id} failed: ${(err as Error).stack ?? String(err)}`);
      this.outcomes.failed++;
      await this.finish(this.o.store, id, { statuscode: S.Failed, errorcode: e.status, errormessage: `${e.code}: ${e.message}`.slice(0, 10_000) });
    }
  }

  private async finish(tx: Repositories, id: string, values: Values<BackgroundOperation>): Promise<void> {
    const input = (await tx.operations.get(id))?.inputparameters;
    const redacted = typeof input === 'string' ? { inputparameters: await redactedInput(input, tx) } : {};
    await tx.operations.update(id, { ...values, ...redacted, statecode: St.Completed, endtime: this.o.now().toISOString() });
  }
}
