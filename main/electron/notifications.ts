import { Notification } from 'electron';
import type { StatusSnapshot } from '../../shared/status.js';
import { FailureTracker } from './session-failures.js';

/** Shows a desktop notification for each session that fails; a click opens the status window. */
export class FailureNotifier {
  private readonly tracker = new FailureTracker();

  constructor(private readonly onClick: () => void) {}

  update(snapshot: StatusSnapshot): void {
    if (!Notification.isSupported()) return;
    for (const notice of this.tracker.newFailures(snapshot.recent)) {
      const n = new Notification({ title: notice.title, body: notice.body });
      n.on('click', this.onClick);
      n.show();
    }
  }
}
