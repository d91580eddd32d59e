import type { AgentState, OrchestratorFrame } from '../../shared/protocol.js';

/** What the queue needs from the gateway: the live state of connected machines and a way to reach them. */
export interface AgentLinks {
  /** State of a machine that is connected and said hello; undefined otherwise. */
  live(machineId: string): AgentState | undefined;
  /** Sends a frame; false when the machine is not connected. */
  send(machineId: string, frame: OrchestratorFrame): boolean;
}
