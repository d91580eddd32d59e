import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProcStatsReader } from '../../../../../main/agent/process/process-stats.js';
import { LINUX, skipUnlessOn } from '../../../../support/requirements.js';
import { waitFor } from '../../../../support/wait-for.js';

const MEMBER_MB = 96;
/** One process's resident set, in MB, straight from /proc (statm: pages). */
const rssMbOf = (pid: number) => (Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096) / 1_048_576;
/** One process's CPU ticks (utime + stime) from /proc. */
const ticksOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
};

describe.skipIf(skipUnlessOn(LINUX, 'the /proc reader'))('ProcStatsReader (Linux /proc)', () => {
  it("sums CPU and RSS over a process group's members, not the leader's alone", async () => {
    // An idle leader; its member holds MEMBER_MB touched and spins a core. The leader alone shows neither.
    const member = `const b = Buffer.alloc(${MEMBER_MB} * 1048576).fill(1); console.log('up', b.length); for (;;) {}`;
    const code = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(member)}], { stdio: 'inherit' }); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', code], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await once(child.stdout!, 'data');
      const reader = new ProcStatsReader();
      const pgid = child.pid as number;
      const leaderTicks = ticksOf(pgid);
      const first = await reader.read([pgid, 999_999_999]);
      expect(first.has(999_999_999)).toBe(false);
      expect(first.get(pgid)!.rssMb).toBeGreaterThan(rssMbOf(pgid) + MEMBER_MB / 2);
      // The figure is a rate between two readings: read until the busy member shows up in the group's figure.
      const busy = await waitFor(async () => {
        const cpu = (await reader.read([pgid])).get(pgid)?.cpuPercent ?? 0;
        return cpu > 30 && cpu;
      }, { intervalMs: 100, what: "the group's busy member to show CPU use" });
      expect(busy).toBeGreaterThan(30);
      // The leader itself stayed idle, so the CPU seen is the member's (fewer than 10 ticks, 100 ms, meanwhile).
      expect(ticksOf(pgid) - leaderTicks).toBeLessThan(10);
    } finally {
      process.kill(-(child.pid as number), 'SIGKILL');
    }
  });
});
