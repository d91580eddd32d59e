import { cpus } from 'node:os';
import type { Sample } from '../../../shared/protocol.js';
import { processStatsForPlatform, type ProcessStatsReader } from '../process/process-stats.js';

/** The machine's CPU and RAM. */
export interface MachineLoad {
  readonly cpuPercent: number;
  readonly ramUsedMb: number;
  readonly ramPercent: number;
}
export type MachineLoadReader = () => Promise<MachineLoad>;

/** Busy and total CPU time since boot, summed over the cores (ms). */
function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/**
 * CPU % of the machine since the previous reading (the first: since this reader was made), from `os.cpus()`, and
 * "used" RAM = active (without buffers/cache) from systeminformation, loaded on the first reading (an idle agent never
 * needs its ~50 modules in memory). Not `si.currentLoad()`: on Linux it runs `cat /proc/stat | grep cpu` through a
 * shell, synchronously, on every call — three processes a second, which cost more than the rest of sampling.
 */
export function systemMachineLoad(): MachineLoadReader {
  let previous = cpuTimes();
  return async () => {
    const current = cpuTimes();
    const total = current.total - previous.total;
    const cpuPercent = total > 0 ? ((current.busy - previous.busy) / total) * 100 : 0;
    previous = current;
    const { default: si } = await import('systeminformation');
    const mem = await si.mem();
    return { cpuPercent, ramUsedMb: mem.active / 1_048_576, ramPercent: mem.total > 0 ? (mem.active / mem.total) * 100 : 0 };
  };
}

export interface SamplerOptions {
  /** Default 1000 ms. */
  readonly intervalMs?: number;
  readonly now?: () => Date;
  readonly machine?: MachineLoadReader;
  readonly processes?: ProcessStatsReader;
  /** Reading failures (sampling goes on). */
  readonly onError?: (err: Error) => void;
}

interface Tracked {
  readonly pgid: number;
  readonly onSample: (sample: Sample) => void;
}

const clamp = (v: number, max = Infinity): number => Math.round(Math.min(max, Math.max(0, Number.isFinite(v) ? v : 0)) * 100) / 100;

/**
 * Samples machine CPU/RAM and each tracked session's process group on a timer that runs only while at least one
 * session is tracked (never per event: the first systeminformation reading alone takes ~0.5 s).
 */
export class Sampler {
  private readonly tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  /** The machine's reader while the timer runs: a fresh one each start, so its first CPU % covers its first interval. */
  private machine: MachineLoadReader | undefined;
  private readonly processes: ProcessStatsReader;

  constructor(private readonly options: SamplerOptions = {}) {
    this.processes = options.processes ?? processStatsForPlatform();
  }

  /** Starts sampling a session's process group; returns the function that stops it. */
  track(sessionId: string, pgid: number, onSample: (sample: Sample) => void): () => void {
    this.tracked.set(sessionId, { pgid, onSample });
    if (!this.timer) {
      this.machine = this.options.machine ?? systemMachineLoad();
      this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 1000);
    }
    return () => this.untrack(sessionId);
  }

  /** Whether the timer runs (for tests and the status window). */
  get active(): boolean {
    return this.timer !== undefined;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.machine = undefined;
    this.tracked.clear();
  }

  private untrack(sessionId: string): void {
    const t = this.tracked.get(sessionId);
    if (!t) return;
    this.tracked.delete(sessionId);
    this.processes.forget(t.pgid);
    if (this.tracked.size === 0) this.stop();
  }

  private async tick(): Promise<void> {
    const readMachine = this.machine;
    if (this.busy || !readMachine || this.tracked.size === 0) return;
    this.busy = true;
    try {
      const sessions = [...this.tracked.values()];
      const [machine, groups] = await Promise.all([readMachine(), this.processes.read(sessions.map((s) => s.pgid))]);
      const at = (this.options.now?.() ?? new Date()).toISOString();
      for (const s of sessions) {
        const g = groups.get(s.pgid);
        s.onSample({
          at,
          machineCpuPercent: clamp(machine.cpuPercent, 100),
          machineRamUsedMb: clamp(machine.ramUsedMb),
          machineRamPercent: clamp(machine.ramPercent, 100),
          ...(g ? { processCpuPercent: clamp(g.cpuPercent), processRssMb: clamp(g.rssMb) } : {}),
        });
      }
    } catch (err) {
      this.options.onError?.(err as Error);
    } finally {
      this.busy = false;
    }
  }
}
