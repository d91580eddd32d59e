import { SessionStatus } from '../../shared/option-sets.js';
import type { RecentSessionStatus } from '../../shared/status.js';

const FAILED: ReadonlySet<number> = new Set([SessionStatus.v.Failed, SessionStatus.v.Faulted, SessionStatus.v.TimedOut, SessionStatus.v.Aborted]);

export interface FailureNotice {
  readonly sessionId: string;
  readonly title: string;
  readonly body: string;
}

/**
 * Finds sessions that failed since the last look. The first look only records what is there, so starting the
 * tray does not replay old failures.
 */
export class FailureTracker {
  private readonly seen = new Set<string>();
  private primed = false;

  newFailures(recent: readonly RecentSessionStatus[]): FailureNotice[] {
    const fresh = recent.filter((s) => FAILED.has(s.statuscode) && !this.seen.has(s.sessionId));
    for (const s of fresh) this.seen.add(s.sessionId);
    if (!this.primed) {
      this.primed = true;
      return [];
    }
    return fresh.map(failureNotice);
  }
}

function failureNotice(s: RecentSessionStatus): FailureNotice {
  const status = SessionStatus.labels.get(s.statuscode) ?? `status ${s.statuscode}`;
  const reason = s.errormessage ?? s.errorcode ?? 'no reason given';
  return { sessionId: s.sessionId, title: `${s.name}: ${status}`, body: reason.length > 200 ? `${reason.slice(0, 199)}…` : reason };
}
