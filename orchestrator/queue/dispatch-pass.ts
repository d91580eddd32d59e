import { ErrorCode, QueueReason } from '../../shared/error-codes.js';
import { SessionStatus } from '../../shared/option-sets.js';
import type { OrchestratorFrame } from '../../shared/protocol.js';
import { StoreError, type Store } from '../store/store.js';
import type { AgentLinks } from './agent-links.js';
import { mintSessionToken } from '../auth/session-tokens.js';
import { buildAssignFrame } from './assign-frame.js';
import type { AssignmentBook } from './assignment-book.js';
import { planDispatch } from './dispatch-plan.js';
import { appendFlowLog } from './flowlog-writer.js';
import { PlannerIndex } from './live-machine-view.js';
import type { MachineDirectory } from './machine-directory.js';
import type { QueuedRecords } from './queued-records.js';
import type { RejectCooldown } from './reject-cooldown.js';
import type { Finish } from './session-finish.js';
import type { WaitingSessions } from './waiting-sessions.js';

/** What a pass planned: offers, changed reasons, and per line the reason its settled backlog gets. */
interface Pass {
  readonly offers: Offer[];
  readonly changed: [string, QueueReason][];
  readonly settled: ReadonlyMap<string, QueueReason>;
}

/** A planned offer, with its assign frame. */
interface Offer {
  readonly sessionId: string;
  readonly machineId: string;
  readonly frame: OrchestratorFrame;
}

/** The queue's state a pass reads and writes, and the queue's own transitions it calls. */
export interface DispatchPassOptions {
  readonly store: Store;
  readonly now: () => Date;
  readonly links: AgentLinks;
  readonly book: AssignmentBook;
  readonly waiting: WaitingSessions;
  readonly machines: MachineDirectory;
  readonly cooldown: RejectCooldown;
  readonly queued: QueuedRecords;
  /** Ends a session on the queue's decision (its flow cannot be built). */
  readonly finish: (sessionId: string, f: Finish) => Promise<void>;
  /** Takes back an offer that could not be sent. */
  readonly requeue: (sessionId: string) => Promise<void>;
}

/**
 * A dispatch pass over the partitions marked since the last one: plans them, commits the pass's `Queued` records,
 * offers and changed reasons in ONE crash-safe transaction, then sends the assigns, which leave once it is durable
 * (`AgentConnection.send`): an agent never gets an offer the store does not hold. Each offer is claimed in that
 * commit (`AssignmentBook.claim`): a session another instance on the same database offered first is dropped from the
 * waiting lines instead. A pass runs in the queue's lane
 * (session-queue.ts), so nothing else of the queue changes the waiting lines or the book while it awaits the store.
 */
export class DispatchPass {
  private visitedCount = 0;
  /** The directory version the waiting lines were filed with. */
  private linesVersion = -1;
  private readonly index: PlannerIndex;

  constructor(private readonly o: DispatchPassOptions) {
    this.index = new PlannerIndex(o.machines, o.book, o.links);
  }

  /** Sessions the planner looked at, over all passes (a pass's cost; see `PlanLine.settled`). */
  get visited(): number {
    return this.visitedCount;
  }

  /** The waiting lines were just filed from the directory as it is now. */
  filed(): void {
    this.linesVersion = this.o.machines.version;
  }

  /** Plans and commits the marked partitions (`all`: every partition). */
  async run(all: boolean, dirty: ReadonlySet<string>): Promise<void> {
    await this.commit(await this.plan(all, dirty));
  }

  /** Plans the marked partitions: the offers to make now, and the waiting sessions whose reason changed. */
  private async plan(all: boolean, dirty: ReadonlySet<string>): Promise<Pass> {
    const { waiting, machines, cooldown } = this.o;
    const none: Pass = { offers: [], changed: [], settled: new Map() };
    if (waiting.size === 0) return none;
    if (all) await machines.syncGroups();
    if (this.linesVersion !== machines.version) {
      // Partitions, queuing types or targets' groups may have changed: file every waiting session again.
      waiting.refile();
      this.linesVersion = machines.version;
      all = true;
    }
    // All sessions of a marked partition are planned together: they compete for the same machines.
    const lines = all ? [...waiting.lines()] : [...dirty].flatMap((p) => waiting.line(p) ?? []);
    if (lines.length === 0) return none;
    const now = this.o.now();
    const plan = planDispatch({
      lines,
      machines: this.index.current(),
      now,
      cooldown: (s, m) => cooldown.reason(s, m, now),
      hasCooldown: (s) => cooldown.has(s),
    });
    this.visitedCount += plan.visited;
    // The offers' rows are read together (reads, no transaction); a session whose flow cannot be built then ends.
    const prepared = await Promise.all(plan.assign.map(({ sessionId, machineId }) => this.prepareOffer(sessionId, machineId)));
    const offers: Offer[] = [];
    for (const p of prepared) {
      if ('frame' in p) offers.push(p);
      else await this.o.finish(p.sessionId, { statuscode: SessionStatus.v.Failed, completedon: this.o.now().toISOString(), errorcode: ErrorCode.FlowDefinitionInvalid, errormessage: p.error });
    }
    // Only changed reasons are written.
    const changed = [...plan.reasons].filter(([id, reason]) => waiting.get(id)?.reason !== reason);
    return { offers, changed, settled: plan.settled };
  }

  /** The assign frame of a planned offer, or why its flow cannot be built. */
  private async prepareOffer(sessionId: string, machineId: string): Promise<Offer | { sessionId: string; error: string }> {
    const { store } = this.o;
    const session = await store.sessions.get(sessionId);
    if (!session) throw new StoreError('NotFound', `flowsession ${sessionId} does not exist`);
    const built = buildAssignFrame(session, session._regardingobjectid_value === null ? undefined : await store.workflows.get(session._regardingobjectid_value));
    return built.ok ? { sessionId, machineId, frame: built.frame } : { sessionId, error: built.error };
  }

  private async commit(pass: Pass): Promise<void> {
    const { store, book, queued, waiting } = this.o;
    const { changed, settled } = pass;
    // Planned before the reads above: an offer whose session stopped waiting meanwhile is not made.
    const offers = pass.offers.filter((o) => waiting.get(o.sessionId) !== undefined && book.live(o.sessionId) === undefined);
    if (offers.length === 0 && changed.length === 0 && queued.size === 0) return this.settle(settled);
    const at = this.o.now().toISOString();
    let queuedWritten: number;
    /** Offers of sessions another instance claimed first, or that moved on in the store meanwhile: not made. */
    const lost = new Set<string>();
    /** Reasons written (a session another instance holds or offered is skipped; a later pass writes it). */
    const reasons: [string, QueueReason][] = [];
    try {
      queuedWritten = await store.crashSafeTransaction(async (tx) => {
        lost.clear();
        reasons.length = 0;
        const count = await queued.write(tx);
        // Session rows in key order: two instances' passes that wait for each other's rows cannot deadlock.
        for (const step of inKeyOrder(offers, changed)) {
          if ('reason' in step) {
            if (await tx.sessions.setWaitingReason(step.sessionId, step.reason)) reasons.push([step.sessionId, step.reason]);
            continue;
          }
          const { sessionId, machineId, frame } = step;
          if (!(await book.claim(tx, sessionId, { machineId, state: 'offered', at }))) {
            lost.add(sessionId);
            continue;
          }
          // Each offer gets a new token (an earlier offer's is replaced); only its hash is kept.
          const minted = mintSessionToken(sessionId);
          if (frame.type === 'assign') frame.session.sessiontoken = minted.token;
          await tx.sessions.patch(sessionId, { _machineid_value: machineId, queuereason: QueueReason.WaitingForConfirmation, sessiontokenhash: minted.hash });
          await appendFlowLog(tx, sessionId, { type: 'DesktopFlowRunQueueAssigned', level: 'Info', data: { machineId } });
        }
        return count;
      });
    } catch (err) {
      // The in-memory book took offers that did not commit: read it back from the store.
      await book.load();
      throw err;
    }
    queued.written(queuedWritten);
    for (const [id, reason] of reasons) waiting.setReason(id, reason);
    this.settle(settled);
    for (const { sessionId, machineId, frame } of offers) {
      waiting.delete(sessionId);
      // Lost: whoever holds it now tells the others when it waits again (Store.notifications).
      if (!lost.has(sessionId) && !this.o.links.send(machineId, frame)) await this.o.requeue(sessionId);
    }
  }

  /** After a pass's reasons are stored: the reason each walked line's uniform backlog now stores. */
  private settle(settled: ReadonlyMap<string, QueueReason>): void {
    for (const [partition, reason] of settled) this.o.waiting.line(partition)?.settle(reason);
  }
}

/** A pass's offers and changed reasons, by session key. */
function inKeyOrder(offers: readonly Offer[], changed: readonly [string, QueueReason][]): (Offer | { sessionId: string; reason: QueueReason })[] {
  const steps: (Offer | { sessionId: string; reason: QueueReason })[] = [...offers, ...changed.map(([sessionId, reason]) => ({ sessionId, reason }))];
  return steps.sort((x, y) => (x.sessionId < y.sessionId ? -1 : x.sessionId > y.sessionId ? 1 : 0));
}
