import { ErrorCode, QueueReason } from '../../shared/error-codes.js';
import { SessionStatus } from '../../shared/option-sets.js';
import type { OrchestratorFrame } from '../../shared/protocol.js';
import { StoreError, type Store } from '../store/store.js';
import type { AgentLinks } from './agent-links.js';
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
  readonly finish: (sessionId: string, f: Finish) => void;
  /** Takes back an offer that could not be sent. */
  readonly requeue: (sessionId: string) => void;
}

/**
 * A dispatch pass over the partitions marked since the last one: plans them, commits the pass's `Queued` records,
 * offers and changed reasons in ONE crash-safe transaction, then sends the assigns, which leave once it is durable
 * (`AgentConnection.send`): an agent never gets an offer the store does not hold.
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
  run(all: boolean, dirty: ReadonlySet<string>): void {
    this.commit(this.plan(all, dirty));
  }

  /** Plans the marked partitions: the offers to make now, and the waiting sessions whose reason changed. */
  private plan(all: boolean, dirty: ReadonlySet<string>): Pass {
    const { waiting, machines, cooldown } = this.o;
    const none: Pass = { offers: [], changed: [], settled: new Map() };
    if (waiting.size === 0) return none;
    if (all) machines.syncGroups();
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
    const offers = plan.assign.flatMap(({ sessionId, machineId }) => this.prepareOffer(sessionId, machineId));
    // Only changed reasons are written.
    const changed = [...plan.reasons].filter(([id, reason]) => waiting.get(id)?.reason !== reason);
    return { offers, changed, settled: plan.settled };
  }

  /** The assign frame of a planned offer; a session whose flow cannot be built ends FlowDefinitionInvalid instead. */
  private prepareOffer(sessionId: string, machineId: string): Offer[] {
    const { store } = this.o;
    const session = store.sessions.get(sessionId);
    if (!session) throw new StoreError('NotFound', `flowsession ${sessionId} does not exist`);
    const built = buildAssignFrame(session, session._regardingobjectid_value === null ? undefined : store.workflows.get(session._regardingobjectid_value));
    if (built.ok) return [{ sessionId, machineId, frame: built.frame }];
    this.o.finish(sessionId, { statuscode: SessionStatus.v.Failed, completedon: this.o.now().toISOString(), errorcode: ErrorCode.FlowDefinitionInvalid, errormessage: built.error });
    return [];
  }

  private commit({ offers, changed, settled }: Pass): void {
    const { store, book, queued, waiting } = this.o;
    if (offers.length === 0 && changed.length === 0 && queued.size === 0) return this.settle(settled);
    const at = this.o.now().toISOString();
    try {
      store.crashSafeTransaction((tx) => {
        queued.write(tx);
        for (const { sessionId, machineId } of offers) {
          book.set(tx, sessionId, { machineId, state: 'offered', at });
          tx.sessions.patch(sessionId, { _machineid_value: machineId, queuereason: QueueReason.WaitingForConfirmation });
          appendFlowLog(tx, sessionId, { type: 'DesktopFlowRunQueueAssigned', level: 'Info', data: { machineId } });
        }
        for (const [id, reason] of changed) tx.sessions.patch(id, { queuereason: reason });
      });
    } catch (err) {
      // The in-memory book took offers that did not commit: read it back from the store.
      book.load();
      throw err;
    }
    queued.written();
    for (const [id, reason] of changed) waiting.setReason(id, reason);
    this.settle(settled);
    for (const { sessionId, machineId, frame } of offers) {
      waiting.delete(sessionId);
      if (!this.o.links.send(machineId, frame)) this.o.requeue(sessionId);
    }
  }

  /** After a pass's reasons are stored: the reason each walked line's uniform backlog now stores. */
  private settle(settled: ReadonlyMap<string, QueueReason>): void {
    for (const [partition, reason] of settled) this.o.waiting.line(partition)?.settle(reason);
  }
}
