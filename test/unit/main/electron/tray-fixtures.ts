import type { AgentSnapshot } from '../../../../main/agent/agent-state.js';
import type { TrayState } from '../../../../main/electron/tray-state.js';

export const idleState: TrayState = {
  connection: 'connected',
  running: 0,
  capacity: 2,
  paused: false,
  draining: false,
  attendedMode: false,
  storageOk: true,
  openAtLogin: false,
};

export const state = (over: Partial<TrayState>): TrayState => ({ ...idleState, ...over });

export function snapshot(over: { connection?: Partial<AgentSnapshot['connection']>; scheduling?: Partial<AgentSnapshot['scheduling']>; sessions?: AgentSnapshot['sessions']; attendedMode?: boolean } = {}): AgentSnapshot {
  return {
    connection: { status: 'connected', orchestratorUrl: 'http://127.0.0.1:1', ...over.connection },
    machine: { flowmachineid: '00000000-0000-4000-8000-000000000001' },
    scheduling: { capacity: 2, freeSlots: 2, paused: false, draining: false, attendedAvailable: false, sessionUsers: [], storageOk: true, ...over.scheduling },
    attendedMode: over.attendedMode ?? false,
    sessions: over.sessions ?? [],
    backlog: { events: 0, callbacks: 0 },
  };
}

export const session = (id: number, stage: AgentSnapshot['sessions'][number]['stage']): AgentSnapshot['sessions'][number] => ({
  sessionId: `00000000-0000-4000-8000-00000000010${id}`,
  name: `flow ${id}`,
  stage,
  statuscode: stage === 'running' ? 2 : 3,
  runmode: 2,
  acceptedon: '2026-01-01T00:00:00.000Z',
});
