import { ErrorCode, QueueReason } from '../../shared/error-codes.js';

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
    byMachine.set(machineId, { until: now.getTime() + this.durationMs, reason });
  }

  reason(sessionId: string, machineId: string, now: Date): QueueReason | undefined {
    const e = this.entries.get(sessionId)?.get(machineId);
    if (!e) return undefined;
    if (e.until > now.getTime()) return e.reason;
    this.entries.get(sessionId)?.delete(machineId);
    return undefined;
  }

  forget(sessionId: string): void {
    this.entries.delete(sessionId);
  }
}
