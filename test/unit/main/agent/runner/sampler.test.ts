import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Sample } from '../../../../../shared/protocol.js';
import { validator } from '../../../../../shared/validate.js';
import { Sampler } from '../../../../../main/agent/runner/sampler.js';
import type { ProcessStatsReader } from '../../../../../main/agent/process/process-stats.js';
import { waitFor } from '../../../../support/wait-for.js';

const checkSample = validator(Sample);
const sourcePath = fileURLToPath(new URL('../../../../../main/agent/runner/sampler.ts', import.meta.url));
const fixedProcesses: ProcessStatsReader = { read: async (pgids) => new Map(pgids.map((p) => [p, { cpuPercent: 150, rssMb: 12.5 }])), forget: () => undefined };

describe('Sampler', () => {
  it('runs its timer only while sessions are tracked and gives each session one sample per tick', async () => {
    let machineReads = 0;
    const sampler = new Sampler({ intervalMs: 10, processes: fixedProcesses, machine: async () => (machineReads++, { cpuPercent: 120, ramUsedMb: 2048, ramPercent: 25 }) });
    expect(sampler.active).toBe(false);
    const a: unknown[] = [];
    const b: unknown[] = [];
    const stopA = sampler.track('a', 101, (s) => a.push(s));
    const stopB = sampler.track('b', 102, (s) => b.push(s));
    expect(sampler.active).toBe(true);
    await waitFor(() => a.length >= 3 && b.length >= 3, { what: 'three ticks' });
    expect(machineReads).toBeLessThanOrEqual(Math.max(a.length, b.length) + 1); // one machine reading per tick, shared
    expect(a[0]).toMatchObject({ machineCpuPercent: 100, machineRamUsedMb: 2048, machineRamPercent: 25, processCpuPercent: 150, processRssMb: 12.5 });
    for (const s of a) expect(checkSample.check(s), checkSample.errors().join()).toBe(true);
    stopA();
    expect(sampler.active).toBe(true);
    stopB();
    expect(sampler.active).toBe(false);
  });

  it('keeps sampling when a reading fails, and reports the error', async () => {
    const errors: Error[] = [];
    let fail = true;
    const sampler = new Sampler({
      intervalMs: 10,
      processes: fixedProcesses,
      onError: (e) => errors.push(e),
      machine: async () => {
        if (fail) {
          fail = false;
          throw new Error('boom');
        }
        return { cpuPercent: 1, ramUsedMb: 1, ramPercent: 1 };
      },
    });
    const got: unknown[] = [];
    const stop = sampler.track('a', 1, (s) => got.push(s));
    await waitFor(() => got.length > 0, { what: 'a sample after the failure' });
    stop();
    expect(errors.map((e) => e.message)).toEqual(['boom']);
  });

  it('reads the machine from the OS: CPU busy since the previous reading, active RAM, and no process started for it', () => {
    // In a fresh process, so that child_process is watched before systeminformation takes its functions.
    const script = `
      import { createRequire } from 'node:module';
      const cp = createRequire(import.meta.url)('node:child_process');
      const started = [];
      for (const name of ['exec', 'execSync', 'execFile', 'execFileSync', 'spawn', 'spawnSync']) {
        const original = cp[name];
        cp[name] = (...args) => (started.push(String(args[0])), original(...args));
      }
      const { systemMachineLoad } = await import(${JSON.stringify(sourcePath)});
      const read = systemMachineLoad();
      const spinUntil = performance.now() + 300;
      while (performance.now() < spinUntil); // one core busy for 300 ms
      const busy = await read();
      await read();
      process.stdout.write(JSON.stringify({ busy, started }));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const { busy, started } = JSON.parse(out) as { busy: { cpuPercent: number; ramUsedMb: number; ramPercent: number }; started: string[] };
    // One of the machine's cores spun for the whole window: the machine figure holds at least half of that core.
    expect(busy.cpuPercent).toBeGreaterThanOrEqual(50 / cpus().length);
    expect(busy.cpuPercent).toBeLessThanOrEqual(100);
    expect(busy.ramUsedMb).toBeGreaterThan(0);
    expect(busy.ramPercent).toBeGreaterThan(0);
    expect(busy.ramPercent).toBeLessThan(100);
    expect(started).toEqual([]);
  });
});
