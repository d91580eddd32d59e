import type { AgentState } from '../../shared/protocol.js';
import { flowmachineEntity } from '../../shared/records/index.js';
import type { Row, Store } from '../store/store.js';

/** flowmachine statuscode from its statecode and live state: 4 ManualMaintenance, 2 Inactive, 5 DrainMode, 1 Active. */
export function machineStatuscode(statecode: number, connected: boolean, draining: boolean): number {
  if (statecode === 2) return 4;
  if (!connected) return 2;
  return draining ? 5 : 1;
}

/** Writes a connected agent's reported state (also its heartbeat) onto its flowmachine row. */
export function recordMachineState(store: Store, machineId: string, state: AgentState, now: Date, extra: Row = {}): void {
  const row = store.get(flowmachineEntity, machineId);
  if (!row) return;
  store.update(flowmachineEntity, machineId, {
    ...extra,
    connected: true,
    lastheartbeatdate: now.toISOString(),
    freeslots: state.freeSlots,
    paused: state.paused,
    pauseduntil: state.pausedUntil ?? null,
    draining: state.draining,
    attendedavailable: state.attendedAvailable,
    signedinuser: state.signedInUser ?? null,
    sessionusers: JSON.stringify(state.sessionUsers),
    statuscode: machineStatuscode(Number(row['statecode'] ?? 0), true, state.draining),
  });
}

export function recordHeartbeat(store: Store, machineId: string, now: Date): void {
  if (store.get(flowmachineEntity, machineId)) store.update(flowmachineEntity, machineId, { lastheartbeatdate: now.toISOString() });
}

export function recordDisconnected(store: Store, machineId: string): void {
  const row = store.get(flowmachineEntity, machineId);
  if (!row) return;
  store.update(flowmachineEntity, machineId, { connected: false, statuscode: machineStatuscode(Number(row['statecode'] ?? 0), false, false) });
}

/** After an API change (e.g. PATCH statecode 2): keep statuscode consistent with statecode and connection. */
export function refreshMachineStatus(store: Store, machineId: string, connected: boolean): void {
  const row = store.get(flowmachineEntity, machineId);
  if (!row) return;
  const statuscode = machineStatuscode(Number(row['statecode'] ?? 0), connected, row['draining'] === true);
  if (row['statuscode'] !== statuscode || row['connected'] !== connected) store.update(flowmachineEntity, machineId, { statuscode, connected });
}
