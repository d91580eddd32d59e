import { ErrorCode, QueueReason } from '../../shared/error-codes.js';

/**
 * Rejects that only mirror the machine's live state (paused, draining, full, storage trouble): its next `state`
 * frame makes it ineligible by itself, and a resume must make it eligible at once, so these cool down only long
 * enough to stop an offer/reject ping-pong before that frame arrives.
 */
const TRANSIENT: ReadonlySet<string> = new Set([ErrorCode.AgentPaused, ErrorCode.AgentDraining, ErrorCode.NoFreeSlot, ErrorCode.StorageUnavailable, ErrorCode.OutboxFull]);
const TRANSIENT_COOLDOWN_MS = 2_000;
/**
 * Rejects that hold for as long as the machine's connection: its agent cannot run the offer (FeatureUnsupported) and
 * will not learn to before it reconnects (its features are fixed per connection), so the offer is not made again.
 */
const UNTIL_RECONNECT: ReadonlySet<string> = new Set([ErrorCode.FeatureUnsupported]);

/** Remembers which machine refused (or ignored) which session, so it is not offered there again for a while. */
export class RejectCooldown {
  private readonly entries = new Map<string, Map<string, { until: number; reason: QueueReason }>>();

  constructor(private readonly durationMs: number) {}

  add(sessionId: string, machineId: string, now: Date, errorcode?: string): void {
    const reason =
      errorcode === ErrorCode.AttendedUserNotSignedIn
        ? QueueReason.AttendedUserNotSignedIn
        : errorcode === ErrorCode.SessionUserUnavailable
          ? QueueReason.SessionUserUnavailable
          : errorcode === ErrorCode.FeatureUnsupported
            ? QueueReason.FeatureUnsupported
            : errorcode === ErrorCode.DisplayUnavailable
              ? QueueReason.DisplayUnavailable
              : QueueReason.AllMachinesBusy;
    let byMachine = this.entries.get(sessionId);
    if (!byMachine) this.entries.set(sessionId, (byMachine = new Map()));
    const duration = errorcode !== undefined && TRANSIENT.has(errorcode) ? Math.min(this.durationMs, TRANSIENT_COOLDOWN_MS) : this.durationMs;
    const until = errorcode !== undefined && UNTIL_RECONNECT.has(errorcode) ? Infinity : now.getTime() + duration;
    byMachine.set(machineId, { until, reason });
  }

  reason(sessionId: string, machineId: string, now: Date): QueueReason | undefined {
    const e = this.entries.get(sessionId)?.get(machineId);
    if (!e) return undefined;
    if (e.until > now.getTime()) return e.reason;
    this.entries.get(sessionId)?.delete(machineId);
    return undefined;
  }

  /** Whether any machine may be cooling down for this session (expired entries count until asked about). */
  has(sessionId: string): boolean {
    return (this.entries.get(sessionId)?.size ?? 0) > 0;
  }

  /** The machine's connection ended: what held until it reconnects holds no more. */
  machineDisconnected(machineId: string): void {
    for (const [sessionId, byMachine] of this.entries) {
      if (byMachine.get(machineId)?.until !== Infinity) continue;
      byMachine.delete(machineId);
      if (byMachine.size === 0) this.entries.delete(sessionId);
    }
  }

  forget(sessionId: string): void {
    this.entries.delete(sessionId);
  }
}
