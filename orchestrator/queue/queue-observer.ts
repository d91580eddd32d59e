/**
 * What the queue reports as it happens, for figures that cannot be read from its state later (orchestrator/metrics/
 * implements it). Called after the change is committed; must not throw and must not block.
 */
export interface QueueObserver {
  /**
   * A machine confirmed an offer: `waitMs` from when the session became eligible (created, or its scheduled time) to
   * now, `dispatchMs` from the offer to the confirmation.
   */
  confirmed(waitMs: number, dispatchMs: number): void;
  /** A session ended with `statuscode` (a terminal SessionStatus). */
  ended(statuscode: number): void;
}

/** `confirmed`'s arguments for a session (its row) offered at `offeredAt` and confirmed at `now`; 0 for a time not known. */
export function confirmationTimes(session: Readonly<Record<string, unknown>> | undefined, offeredAt: string, now: Date): [waitMs: number, dispatchMs: number] {
  const scheduled = session?.['scheduledfor'];
  const eligible = Math.max(Date.parse(String(session?.['createdon'])), typeof scheduled === 'string' ? Date.parse(scheduled) : 0);
  const since = (from: number) => (Number.isFinite(from) ? Math.max(0, now.getTime() - from) : 0);
  return [since(eligible), since(Date.parse(offeredAt))];
}
