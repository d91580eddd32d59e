import { compareQueueOrder, type PlanLine, type SessionView } from './dispatch-plan.js';

/** What a line needs of a waiting session: its view, its stored reason, and whether it is uniform (`isUniform`). */
export interface LineEntry {
  readonly view: SessionView;
  readonly reason: string | null;
  readonly uniform: boolean;
}

/**
 * One partition's waiting sessions, kept in queue order between passes (no sort per pass), with what lets a pass stop
 * early (`PlanLine.settled`): the reason the line's uniform sessions have stored (`common`), and the exceptions,
 * the sessions that are not uniform or whose stored reason is another. Every change of an entry's stored reason
 * goes through `reasonChanged`, so the exceptions stay exact.
 */
export class QueueLine implements PlanLine {
  private readonly entries: LineEntry[] = [];
  private readonly views: SessionView[] = [];
  private common: string | null = null;
  private readonly exceptions = new Map<string, LineEntry>();

  constructor(
    readonly key: string,
    private readonly fifo: boolean,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  get sessions(): readonly SessionView[] {
    return this.views;
  }

  get settled(): NonNullable<PlanLine['settled']> {
    const exceptions = this.exceptions;
    return { reason: this.common, exceptions: { *[Symbol.iterator]() { for (const e of exceptions.values()) yield e.view; } } };
  }

  add(entry: LineEntry): void {
    const at = this.positionOf(entry.view, 1);
    this.entries.splice(at, 0, entry);
    this.views.splice(at, 0, entry.view);
    this.classify(entry);
  }

  /** Files many entries at once (a load or a re-file): one sort. */
  addAll(entries: readonly LineEntry[]): void {
    for (const e of entries) {
      this.entries.push(e);
      this.classify(e);
    }
    this.entries.sort((a, b) => compareQueueOrder(a.view, b.view, this.fifo));
    this.views.length = 0;
    for (const e of this.entries) this.views.push(e.view);
  }

  remove(entry: LineEntry): void {
    let at = this.positionOf(entry.view, 0);
    if (this.entries[at] !== entry) at = this.entries.indexOf(entry);
    if (at < 0) throw new Error(`queue line ${this.key} does not hold session ${entry.view.id}`);
    this.entries.splice(at, 1);
    this.views.splice(at, 1);
    this.exceptions.delete(entry.view.id);
  }

  /** The entry's stored reason changed (it is the same object, updated). */
  reasonChanged(entry: LineEntry): void {
    this.classify(entry);
  }

  /** The uniform sessions past the settle point now store `reason`: exceptions are counted against it. */
  settle(reason: string): void {
    if (reason === this.common) return;
    this.common = reason;
    this.exceptions.clear();
    for (const e of this.entries) this.classify(e);
  }

  private classify(e: LineEntry): void {
    if (!e.uniform || e.reason !== this.common) this.exceptions.set(e.view.id, e);
    else this.exceptions.delete(e.view.id);
  }

  /**
   * Where `view` sits: with `after` 0 the first position not before it (its own, if filed), with 1 the first after
   * it. New sessions mostly go last, so the end is tried first.
   */
  private positionOf(view: SessionView, after: 0 | 1): number {
    const n = this.views.length;
    if (after === 1 && (n === 0 || compareQueueOrder(this.views[n - 1]!, view, this.fifo) < 0)) return n;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareQueueOrder(this.views[mid]!, view, this.fifo) < after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
