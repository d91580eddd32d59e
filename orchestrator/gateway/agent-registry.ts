import type { AgentState, OrchestratorFrame } from '../../shared/protocol.js';
import type { AgentLinks } from '../queue/session-queue.js';

/** What the registry needs of one live connection. */
export interface LiveConnection {
  readonly live: AgentState | undefined;
  send(frame: OrchestratorFrame): boolean;
  close(code: number, reason: string): void;
}

/** The one current connection per machine. */
export class AgentRegistry<C extends LiveConnection = LiveConnection> implements AgentLinks {
  private readonly byMachine = new Map<string, C>();

  /** Makes `conn` the machine's connection; returns the one it replaces, if any. */
  set(machineId: string, conn: C): C | undefined {
    const previous = this.byMachine.get(machineId);
    this.byMachine.set(machineId, conn);
    return previous === conn ? undefined : previous;
  }

  /** Removes `conn` if it is still the machine's current connection; true when it was. */
  remove(machineId: string, conn: C): boolean {
    if (this.byMachine.get(machineId) !== conn) return false;
    this.byMachine.delete(machineId);
    return true;
  }

  get(machineId: string): C | undefined {
    return this.byMachine.get(machineId);
  }

  all(): C[] {
    return [...this.byMachine.values()];
  }

  live(machineId: string): AgentState | undefined {
    return this.byMachine.get(machineId)?.live;
  }

  send(machineId: string, frame: OrchestratorFrame): boolean {
    return this.byMachine.get(machineId)?.send(frame) ?? false;
  }
}
