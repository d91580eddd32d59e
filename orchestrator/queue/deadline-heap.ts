/** A binary min-heap of items by a time (ms), for "what is due by now" without looking at every item. */
export class DeadlineHeap<T> {
  private items: { at: number; item: T }[] = [];

  get size(): number {
    return this.items.length;
  }

  push(at: number, item: T): void {
    const h = this.items;
    h.push({ at, item });
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  /** Removes and returns every item due at or before `now`, earliest first. */
  popDue(now: number): T[] {
    const due: T[] = [];
    while (this.items.length > 0 && this.items[0]!.at <= now) due.push(this.pop());
    return due;
  }

  /** Keeps only the items `keep` accepts (to drop stale ones in bulk). */
  retain(keep: (item: T) => boolean): void {
    const kept = this.items.filter((e) => keep(e.item));
    this.items = [];
    for (const e of kept) this.push(e.at, e.item);
  }

  private pop(): T {
    const h = this.items;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top.item;
  }
}
