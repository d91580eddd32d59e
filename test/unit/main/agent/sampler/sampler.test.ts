import { describe, expect, it } from 'vitest';
import { Sample } from '../../../../../shared/protocol.js';
import { validator } from '../../../../../shared/validate.js';
import { Sampler } from '../../../../../main/agent/sampler.js';
import type { ProcessStatsReader } from '../../../../../main/agent/process/process-stats.js';
import { waitFor } from '../../../../support/wait-for.js';

const checkSample = validator(Sample);
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
});
