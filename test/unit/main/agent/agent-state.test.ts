import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentStateNotifier, type AgentSnapshot } from '../../../../main/agent/agent-state.js';
import type { AgentState } from '../../../../shared/protocol.js';
import { agentState } from '../../../support/fake-agent.js';

const scheduling = agentState;

describe('AgentStateNotifier', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function make() {
    let current = scheduling();
    let backlog = 0;
    const snapshot = (): AgentSnapshot => ({
      connection: { status: 'connected', orchestratorUrl: 'http://o' },
      machine: { flowmachineid: 'm' },
      scheduling: current,
      attendedMode: false,
      sessions: [],
      backlog: { events: backlog, callbacks: 0 },
    });
    const sent: AgentState[] = [];
    const seen: AgentSnapshot[] = [];
    const n = new AgentStateNotifier({ snapshot, onSchedulingChange: (s) => sent.push(s), debounceMs: 50 });
    n.subscribe((s) => seen.push(s));
    return { n, sent, seen, set: (o: Partial<AgentState>) => (current = scheduling(o)), setBacklog: (b: number) => (backlog = b) };
  }

  it('notifies figure-only changes within their longer bound, and sooner when a change needs it', () => {
    const { n, seen, setBacklog } = make();
    setBacklog(1);
    n.changed(1000);
    vi.advanceTimersByTime(999);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen.map((s) => s.backlog.events)).toEqual([1]);

    setBacklog(2);
    n.changed(1000);
    vi.advanceTimersByTime(100);
    n.changed(); // a scheduling change: within the 50 ms debounce, taking the pending figures along
    vi.advanceTimersByTime(50);
    expect(seen.map((s) => s.backlog.events)).toEqual([1, 2]);
    vi.advanceTimersByTime(2000);
    expect(seen).toHaveLength(2);
  });

  it('coalesces a burst of changes into one notification', () => {
    const { n, seen, setBacklog } = make();
    for (let i = 1; i <= 10; i++) {
      setBacklog(i);
      n.changed();
    }
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.backlog.events).toBe(10);
  });

  it('sends the scheduling state upstream only when it changed since the last one sent', () => {
    const { n, sent, seen, set, setBacklog } = make();
    n.resetSent(scheduling());
    setBacklog(3);
    n.flush();
    expect(sent).toEqual([]);
    expect(seen).toHaveLength(1);
    set({ freeSlots: 0 });
    n.flush();
    expect(sent).toEqual([scheduling({ freeSlots: 0 })]);
    n.flush();
    expect(sent).toHaveLength(1);
  });

  it('close() drops a pending notification and the listeners', () => {
    const { n, seen } = make();
    n.changed();
    n.close();
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual([]);
  });
});
