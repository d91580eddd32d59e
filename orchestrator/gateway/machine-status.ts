import { MachineState, MachineStatus } from '../../shared/option-sets.js';
import type { Logger } from 'winston';
import type { AgentState } from '../../shared/protocol.js';
import type { FlowMachine } from '../../shared/records/index.js';
import { SerialLane } from '../serial-lane.js';
import type { Store, Values } from '../store/store.js';

/** The fields of a machine an agent's reports write. */
type MachinePatch = { -readonly [K in keyof FlowMachine]?: FlowMachine[K] };

/** flowmachine statuscode from its statecode and live state. */
export function machineStatuscode(statecode: number, connected: boolean, draining: boolean): number {
  if (statecode === MachineState.v.Maintenance) return connected && draining ? MachineStatus.v.DrainMode : MachineStatus.v.ManualMaintenance;
  if (!connected) return MachineStatus.v.Inactive;
  return draining ? MachineStatus.v.DrainMode : MachineStatus.v.Active;
}

export interface MachineStatusWriterOptions {
  readonly store: Store;
  readonly logger: Logger;
  /** Heartbeats alone are written at most this long after they arrive. */
  readonly heartbeatFlushMs: number;
  /** `state` frames are written at most this long after they arrive. Default 100 ms. */
  readonly stateFlushMs?: number;
}

/** Machines written per transaction by the timer (see writeBatch). */
const SLICE = 500;

const stateFields = (state: AgentState, now: Date): MachinePatch => ({
  connected: true,
  lastheartbeatdate: now.toISOString(),
  freeslots: state.freeSlots,
  paused: state.paused,
  pauseduntil: state.pausedUntil ?? null,
  draining: state.draining,
  attendedavailable: state.attendedAvailable,
  signedinuser: state.signedInUser ?? null,
  sessionusers: JSON.stringify(state.sessionUsers),
});

/**
 * Writes what connected agents report (hello, state, heartbeat, disconnect) onto their flowmachine rows, batched:
 * the patches of many machines go into one transaction (one commit). Connection changes (hello, disconnect) are
 * written at the end of the current turn of the event loop, `state` frames within `stateFlushMs`, heartbeats alone
 * within `heartbeatFlushMs` (so the API shows a machine's last heartbeat that late at most). Patches of one machine
 * merge in arrival order.
 */
export class MachineStatusWriter {
  private pending = new Map<string, MachinePatch>();
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (ms since epoch). */
  private timerDue = Infinity;
  private closed = false;
  private readonly writes = new SerialLane();

  constructor(private readonly o: MachineStatusWriterOptions) {}

  /** A machine said hello: connected, with its state and what it runs. */
  hello(machineId: string, state: AgentState, now: Date, extra: Values<FlowMachine>): void {
    this.merge(machineId, { ...extra, ...stateFields(state, now) });
    this.flushWithin(0);
  }

  /** A connected agent's reported state (also its heartbeat). */
  state(machineId: string, state: AgentState, now: Date): void {
    this.merge(machineId, stateFields(state, now));
    this.flushWithin(this.o.stateFlushMs ?? 100);
  }

  heartbeat(machineId: string, now: Date): void {
    this.merge(machineId, { lastheartbeatdate: now.toISOString() });
    this.flushWithin(this.o.heartbeatFlushMs);
  }

  disconnected(machineId: string): void {
    this.merge(machineId, { connected: false });
    this.flushWithin(0);
  }

  /** Writes everything pending now, in one transaction. */
  async flush(): Promise<void> {
    await this.writeBatch(Infinity);
  }

  /**
   * Writes up to `max` pending machines in one transaction; the rest stays pending. Returns whether any is left.
   * (10,000 agents send a few thousand pongs a second: one transaction for all of them would stall the event
   * loop for tens of ms, so the timer writes them in slices, one per turn.)
   */
  private writeBatch(max: number): Promise<boolean> {
    clearImmediate(this.immediate);
    clearTimeout(this.timer);
    this.immediate = this.timer = undefined;
    this.timerDue = Infinity;
    if (this.pending.size === 0) return Promise.resolve(false);
    let batch = this.pending;
    if (batch.size <= max) this.pending = new Map();
    else {
      batch = new Map();
      for (const [id, patch] of this.pending) {
        if (batch.size >= max) break;
        batch.set(id, patch);
        this.pending.delete(id);
      }
    }
    const { store } = this.o;
    // Batches are taken in arrival order and committed in that order (one at a time): a machine's later report is
    // never overwritten by an earlier one.
    return this.writes.run(async () => {
      // Live status only (no decision rests on it, and hello rewrites it): crash-safe, the fsync off the event loop.
      await store.crashSafeTransaction(async (tx) => {
        for (const [machineId, patch] of batch) {
          if (patch.connected === undefined) {
            await tx.machines.patch(machineId, patch);
            continue;
          }
          const row = await tx.machines.get(machineId);
          if (!row) continue;
          const statuscode = machineStatuscode(row.statecode ?? MachineState.v.Active, patch.connected === true, patch.draining === true);
          await tx.machines.patch(machineId, { ...patch, statuscode });
        }
      });
      return this.pending.size > 0;
    });
  }

  /** Writes what is pending; later reports (the closing sockets' disconnects) are dropped: a start marks all offline. */
  async close(): Promise<void> {
    const last = this.flush();
    this.closed = true;
    try {
      await last;
    } catch (err) {
      this.o.logger.error(`machine status not written: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private merge(machineId: string, patch: MachinePatch): void {
    if (this.closed) return;
    const current = this.pending.get(machineId);
    this.pending.set(machineId, current ? Object.assign(current, patch) : patch);
  }

  /** 0: at the end of this turn of the event loop. */
  private flushWithin(ms: number): void {
    if (this.closed || this.immediate) return;
    if (ms === 0) {
      this.immediate = setImmediate(() => this.flushLogged());
      return;
    }
    const due = Date.now() + ms;
    if (due >= this.timerDue) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.flushLogged(), ms);
  }

  /** A failed write is logged and dropped: the next state or heartbeat of each machine writes it again. */
  private flushLogged(): void {
    this.writeBatch(SLICE)
      .then((more) => {
        if (more && !this.closed && !this.immediate) this.immediate = setImmediate(() => this.flushLogged());
      })
      .catch((err: unknown) => this.o.logger.error(`machine status not written: ${(err as Error).stack ?? String(err)}`));
  }
}

export function recordDisconnected(store: Store, machineId: string): Promise<void> {
  return store.transaction(async (tx) => {
    const row = await tx.machines.get(machineId);
    if (!row) return;
    await tx.machines.update(machineId, { connected: false, statuscode: machineStatuscode(row.statecode ?? MachineState.v.Active, false, false) });
  });
}

/** After an API change (e.g. PATCH statecode Maintenance): keep statuscode consistent with statecode and connection. */
export function refreshMachineStatus(store: Store, machineId: string, connected: boolean): Promise<void> {
  // Read and written in one transaction: a report of the agent written meanwhile is not overwritten with what it replaced.
  return store.transaction(async (tx) => {
    const row = await tx.machines.get(machineId);
    if (!row) return;
    const statuscode = machineStatuscode(row.statecode ?? MachineState.v.Active, connected, row.draining === true);
    if (row.statuscode !== statuscode || row.connected !== connected) await tx.machines.update(machineId, { statuscode, connected });
  });
}
