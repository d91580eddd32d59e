import { ErrorCode, QueueReason } from '../../shared/error-codes.js';

/**
 * Rejects that only mirror the machine's live state (paused, draining, full, storage trouble): its next `state`
 * frame makes it ineligible by itself, and a resume must make it eligible at once, so these cool down only long
 * enough to stop an offer/reject ping-pong before that frame arrives.
 */
const TRANSIENT: ReadonlySet<string> = new Set([ErrorCode.AgentPaused, ErrorCode.AgentDraining, ErrorCode.NoFreeSlot, ErrorCode.StorageUnavailable, ErrorCode.OutboxFull]);
const TRANSIENT_COOLDOWN_MS = 2_000;

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
          : QueueReason.AllMachinesBusy;
    let byMachine = this.entries.get(sessionId);
    if (!byMachine) this.entries.set(sessionId, (byMachine = new Map()));
    const duration = errorcode !== undefined && TRANSIENT.has(errorcode) ? Math.min(this.durationMs, TRANSIENT_COOLDOWN_MS) : this.durationMs;
    byMachine.set(machineId, { until: now.getTime() + duration, reason });
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

  forget(sessionId: string): void {
    this.entries.delete(sessionId);
  }
}
