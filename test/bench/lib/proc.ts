import { readFileSync } from 'node:fs';

/** Linux /proc readings of another process: CPU time and resident memory. */

const TICKS_PER_S = 100; // USER_HZ on Linux

const statFields = (pid: number): string[] => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
};

/** utime + stime of a process, in ms. */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
}

/** cutime + cstime: CPU of the process's children that it has waited for, in ms. */
export function childrenCpuMs(pid: number): number {
  const fields = statFields(pid);
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_S;
}

const statusKiB = (pid: number, field: string): number => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

/** Resident set size in MiB. */
export const rssMiB = (pid: number): number => statusKiB(pid, 'VmRSS');

/**
 * The private part of the RSS in MiB (RssAnon: heaps, stacks). The rest is mostly pages of the node binary and
 * shared libraries, which every node process maps and the kernel can share and drop.
 */
export const anonRssMiB = (pid: number): number => statusKiB(pid, 'RssAnon');

/** Samples a process's RSS every `intervalMs` until stopped; returns the peak (MiB). */
export function watchRss(pid: number, intervalMs = 100): { stop(): number } {
  let peak = 0;
  const read = () => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      // the process ended
    }
  };
  read();
  const timer = setInterval(read, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      read();
      return peak;
    },
  };
}

/** CPU used by a process over a window, as a percentage of one core. */
export function cpuWindow(pid: number): { stop(): number } {
  const c0 = cpuMs(pid);
  const t0 = performance.now();
  return { stop: () => ((cpuMs(pid) - c0) / (performance.now() - t0)) * 100 };
}
