import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

/** CPU (% of one core, summed over the group) and resident memory (MB) of a process group. */
export interface GroupUsage {
  readonly cpuPercent: number;
  readonly rssMb: number;
}

export interface ProcessStatsReader {
  /** Usage of each group since the previous call for it; absent groups are left out. */
  read(pgids: readonly number[]): Promise<Map<number, GroupUsage>>;
  /** Forget a group's previous reading. */
  forget(pgid: number): void;
}

const CLOCK_TICKS = 100;
let pageSize: number | undefined;
function pageBytes(): number {
  if (pageSize === undefined) {
    try {
      pageSize = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
    } catch {
      pageSize = 4096;
    }
  }
  return pageSize;
}

/**
 * Linux: one pass over /proc/<pid>/stat per reading; sums utime+stime and rss over the members of each group.
 * Synchronous on purpose: ~100 tiny procfs reads cost ~2 ms this way and ~20 ms as promise-based reads.
 */
export class ProcStatsReader implements ProcessStatsReader {
  private readonly previous = new Map<number, { ticks: number; at: number }>();

  async read(pgids: readonly number[]): Promise<Map<number, GroupUsage>> {
    const wanted = new Set(pgids);
    const totals = new Map<number, { ticks: number; rssPages: number }>();
    for (const pid of listPids()) {
      const stat = readStat(pid);
      if (!stat) continue;
      // Fields after the command name (which may contain spaces and parentheses): state is field 3.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgrp = Number(f[2]);
      if (!wanted.has(pgrp)) continue;
      const t = totals.get(pgrp) ?? { ticks: 0, rssPages: 0 };
      t.ticks += Number(f[11]) + Number(f[12]);
      t.rssPages += Number(f[21]);
      totals.set(pgrp, t);
    }
    const now = performance.now();
    const out = new Map<number, GroupUsage>();
    for (const [pgid, t] of totals) {
      const prev = this.previous.get(pgid);
      this.previous.set(pgid, { ticks: t.ticks, at: now });
      const seconds = prev ? (now - prev.at) / 1000 : 0;
      const cpuPercent = prev && seconds > 0 ? Math.max(0, ((t.ticks - prev.ticks) / CLOCK_TICKS / seconds) * 100) : 0;
      out.set(pgid, { cpuPercent: round(cpuPercent), rssMb: round((t.rssPages * pageBytes()) / 1_048_576) });
    }
    return out;
  }

  forget(pgid: number): void {
    this.previous.delete(pgid);
  }
}

function listPids(): string[] {
  try {
    return readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
}

function readStat(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // ended while we looked
  }
}

/** macOS and other POSIX systems without /proc: one `ps` call per reading (its %cpu is a decaying average). */
export class PsStatsReader implements ProcessStatsReader {
  async read(pgids: readonly number[]): Promise<Map<number, GroupUsage>> {
    const wanted = new Set(pgids);
    const { stdout } = await promisify(execFile)('ps', ['-A', '-o', 'pgid=,rss=,%cpu=']);
    const out = new Map<number, { cpuPercent: number; rssMb: number }>();
    for (const line of stdout.split('\n')) {
      const [pgid, rssKb, cpu] = line.trim().split(/\s+/).map(Number);
      if (pgid === undefined || !wanted.has(pgid)) continue;
      const u = out.get(pgid) ?? { cpuPercent: 0, rssMb: 0 };
      u.cpuPercent += cpu ?? 0;
      u.rssMb += (rssKb ?? 0) / 1024;
      out.set(pgid, u);
    }
    for (const u of out.values()) Object.assign(u, { cpuPercent: round(u.cpuPercent), rssMb: round(u.rssMb) });
    return out;
  }

  forget(): void {}
}

/** Windows: no group figures (machine figures only). */
export const noProcessStats: ProcessStatsReader = { read: async () => new Map(), forget: () => undefined };

export function processStatsForPlatform(platform: NodeJS.Platform = process.platform): ProcessStatsReader {
  if (platform === 'linux') return new ProcStatsReader();
  if (platform === 'win32') return noProcessStats;
  return new PsStatsReader();
}

const round = (v: number): number => Math.round(v * 100) / 100;
