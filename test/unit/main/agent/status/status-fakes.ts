import type { AgentSnapshot, SnapshotListener } from '../../../../../main/agent/agent-state.js';
import type { StatusAgent, StatusStoreReader } from '../../../../../main/agent/status/status.js';

/** An in-memory agent for the status endpoint's unit tests: records commands, announces changes like the Agent. */
export class FakeStatusAgent implements StatusAgent {
  readonly calls: string[] = [];
  private readonly listeners = new Set<SnapshotListener>();
  snap: AgentSnapshot = {
    connection: { status: 'connected', orchestratorUrl: 'http://127.0.0.1:1', since: '2030-01-01T00:00:00.000Z' },
    machine: { flowmachineid: '11111111-1111-4111-8111-111111111111', flowmachinegroupid: '22222222-2222-4222-8222-222222222222' },
    scheduling: { capacity: 2, freeSlots: 2, paused: false, draining: false, attendedAvailable: false, sessionUsers: [], storageOk: true },
    attendedMode: false,
    sessions: [],
    backlog: { events: 3, callbacks: 1 },
  };

  state(): AgentSnapshot {
    return this.snap;
  }
  onStateChange(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  pause(until?: Date): void {
    this.calls.push(`pause ${until?.toISOString() ?? 'indefinitely'}`);
    this.change({ scheduling: { ...this.snap.scheduling, paused: true, ...(until ? { pausedUntil: until.toISOString() } : {}) } });
  }
  resume(): void {
    this.calls.push('resume');
    const { pausedUntil: _, ...rest } = this.snap.scheduling;
    this.change({ scheduling: { ...rest, paused: false } });
  }
  setAttendedMode(on: boolean): void {
    this.calls.push(`attended ${on}`);
    this.change({ attendedMode: on });
  }
  change(over: Partial<AgentSnapshot>): void {
    this.snap = { ...this.snap, ...over };
    for (const l of this.listeners) l(this.snap);
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** The store reads of a machine with no sessions and no pictures, for a fake store. */
export const noPictures: Pick<StatusStoreReader, 'getSession' | 'displays'> = {
  getSession: () => undefined,
  displays: { screenshot: () => undefined, screenshotInfo: () => undefined },
};
