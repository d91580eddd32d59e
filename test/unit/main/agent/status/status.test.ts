import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusProducer } from '../../../../../main/agent/status/status.js';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { statusPageUrl } from '../../../../../main/commands/status-command.js';
import { loadOrCreateStatusToken, writeStatusEndpoint } from '../../../../../main/agent/status/status-token.js';
import { MAX_STATUS_SCREENSHOT_BYTES, StatusSnapshot, statusCommands } from '../../../../../shared/status.js';
import { SessionStatus } from '../../../../../shared/option-sets.js';
import { validator } from '../../../../../shared/validate.js';
import { FakeStatusAgent, noPictures } from './status-fakes.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'flowhost-status-unit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const assign = (id: string, name: string) => ({
  type: 'assign' as const,
  session: { flowsessionid: id, name, runmode: 2, priority: 0, timeout: 60, _regardingobjectid_value: '33333333-3333-4333-8333-333333333333' },
  flow: { schemaversion: 1, kind: 'command', argv: ['node', '-v'] },
  inputs: '{}',
  secretInputs: [],
});

describe('StatusProducer', () => {
  it('maps the agent snapshot and the store: active sessions with samples, finished ones with duration and error', () => {
    const store = AgentStore.open(join(tempDir(), 'agent.db'));
    try {
      const running = '44444444-4444-4444-8444-444444444444';
      const failed = '55555555-5555-4555-8555-555555555555';
      for (const [id, name] of [[failed, 'broken'], [running, 'busy']] as const) {
        store.recordAssignment(assign(id, name) as never);
        store.markConfirmed(id);
        store.markRunning(id, { startedon: '2030-01-01T00:00:00.000Z' });
      }
      store.appendSamples(running, [
        { at: '2030-01-01T00:00:01.000Z', machineCpuPercent: 10, machineRamUsedMb: 500, machineRamPercent: 20 },
        { at: '2030-01-01T00:00:02.000Z', machineCpuPercent: 30, machineRamUsedMb: 600, machineRamPercent: 25 },
      ]);
      store.complete(failed, { statuscode: 5, completedon: '2030-01-01T00:00:03.000Z', errorcode: 'FlowFailed', errormessage: 'exit code 3', runexecutionduration: 3000 });
      const agent = new FakeStatusAgent();
      agent.snap = { ...agent.snap, sessions: [{ sessionId: running, name: 'busy', stage: 'running', statuscode: 2, runmode: 2, acceptedon: '2030-01-01T00:00:00.000Z', startedon: '2030-01-01T00:00:00.000Z' }] };
      const producer = new StatusProducer({ agent, store, now: () => new Date('2030-01-01T00:00:05.000Z') });
      const snapshot = validator(StatusSnapshot).parse(producer.snapshot());
      expect(snapshot.at).toBe('2030-01-01T00:00:05.000Z');
      expect(snapshot.active).toEqual([
        {
          sessionId: running,
          name: 'busy',
          statuscode: 2,
          acceptedon: '2030-01-01T00:00:00.000Z',
          startedon: '2030-01-01T00:00:00.000Z',
          samples: [
            { at: '2030-01-01T00:00:01.000Z', cpu: 10, ramPct: 20, ramMb: 500 },
            { at: '2030-01-01T00:00:02.000Z', cpu: 30, ramPct: 25, ramMb: 600 },
          ],
        },
      ]);
      expect(snapshot.recent).toEqual([
        expect.objectContaining({ sessionId: failed, name: 'broken', statuscode: 5, durationMs: 3000, errorcode: 'FlowFailed', errormessage: 'exit code 3' }),
      ]);
      const tail = producer.run('session:log-tail', { sessionId: failed });
      expect(tail).toEqual({ ok: true, value: { sessionId: failed, lines: [] } });
    } finally {
      store.close();
    }
  });

  it('offers the stored picture of a failed session of this machine, bounded, and no other', () => {
    const store = AgentStore.open(join(tempDir(), 'agent.db'));
    try {
      const failed = '66666666-6666-4666-8666-666666666666';
      const succeeded = '77777777-7777-4777-8777-777777777777';
      const huge = '88888888-8888-4888-8888-888888888888';
      for (const id of [failed, succeeded, huge]) {
        store.recordAssignment(assign(id, `flow ${id.slice(0, 1)}`) as never);
        store.markConfirmed(id);
        store.markRunning(id, { startedon: '2030-01-01T00:00:00.000Z' });
      }
      store.complete(failed, { statuscode: SessionStatus.v.Failed, completedon: '2030-01-01T00:00:03.000Z', errorcode: 'FlowFailed', errormessage: 'exit code 3' });
      store.complete(succeeded, { statuscode: SessionStatus.v.Succeeded, completedon: '2030-01-01T00:00:03.000Z' });
      store.complete(huge, { statuscode: SessionStatus.v.TimedOut, completedon: '2030-01-01T00:00:03.000Z', errorcode: 'Timeout', errormessage: 'timed out' });
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
      store.displays.saveScreenshot(failed, '2030-01-01T00:00:02.500Z', png);
      store.displays.saveScreenshot(succeeded, '2030-01-01T00:00:02.500Z', png);
      store.displays.saveScreenshot(huge, '2030-01-01T00:00:02.500Z', Buffer.alloc(MAX_STATUS_SCREENSHOT_BYTES + 1));
      const producer = new StatusProducer({ agent: new FakeStatusAgent(), store });

      const recent = validator(StatusSnapshot).parse(producer.snapshot()).recent;
      expect(recent.find((r) => r.sessionId === failed)?.screenshot).toEqual({ takenon: '2030-01-01T00:00:02.500Z', bytes: png.length });
      expect(recent.find((r) => r.sessionId === succeeded)).not.toHaveProperty('screenshot');
      expect(recent.find((r) => r.sessionId === huge)).not.toHaveProperty('screenshot');

      const reply = producer.run('session:screenshot', { sessionId: failed });
      expect(reply).toEqual({ ok: true, value: { sessionId: failed, takenon: '2030-01-01T00:00:02.500Z', pngBase64: png.toString('base64') } });
      expect(validator(statusCommands['session:screenshot'].reply).check(reply.ok ? reply.value : undefined)).toBe(true);
      expect(producer.run('session:screenshot', { sessionId: succeeded })).toEqual({ ok: false, error: `session:screenshot failed: no picture for session ${succeeded}` });
      expect(producer.run('session:screenshot', { sessionId: '99999999-9999-4999-8999-999999999999' })).toMatchObject({ ok: false });
      expect(producer.run('session:screenshot', { sessionId: huge })).toEqual({ ok: false, error: `session:screenshot failed: the picture of session ${huge} is over ${MAX_STATUS_SCREENSHOT_BYTES} bytes` });
      expect(producer.run('session:screenshot', { sessionId: failed, extra: 1 })).toMatchObject({ ok: false });
    } finally {
      store.close();
    }
  });

  it("appends a running session's live samples (not yet stored in a batch) after the stored ones, without repeats", () => {
    const sample = (second: number, cpu: number) => ({ at: `2030-01-01T00:00:0${second}.000Z`, machineCpuPercent: cpu, machineRamUsedMb: 500, machineRamPercent: 20 });
    const id = '44444444-4444-4444-8444-444444444444';
    const view = { sessionId: id, name: 'busy', stage: 'running' as const, statuscode: 2, runmode: 2, acceptedon: '2030-01-01T00:00:00.000Z' };
    const agent = new FakeStatusAgent();
    let stored = [sample(1, 10), sample(2, 20)];
    const producer = new StatusProducer({ agent, store: { recentSessions: () => [], logTail: () => [], recentSamples: () => stored, ...noPictures } });
    const cpus = () => producer.snapshot().active[0]?.samples.map((p) => p.cpu);

    agent.snap = { ...agent.snap, sessions: [{ ...view, live: [sample(3, 30)] }] };
    expect(cpus()).toEqual([10, 20, 30]);
    // Nothing stored yet: the live samples alone draw the sparkline.
    stored = [];
    agent.snap = { ...agent.snap, sessions: [{ ...view, live: [sample(1, 10)] }] };
    expect(cpus()).toEqual([10]);
    // The batch was stored between the agent's snapshot and the store read: each sample once.
    stored = [sample(1, 10), sample(2, 20), sample(3, 30)];
    agent.snap = { ...agent.snap, sessions: [{ ...view, live: [sample(2, 20), sample(3, 30)] }] };
    expect(cpus()).toEqual([10, 20, 30]);
    expect(validator(StatusSnapshot).check(producer.snapshot())).toBe(true);
  });

  it('turns a failing agent call into an error value', () => {
    const agent = new FakeStatusAgent();
    agent.resume = () => {
      throw new Error('agent not started');
    };
    const producer = new StatusProducer({ agent, store: { recentSessions: () => [], logTail: () => [], recentSamples: () => [], ...noPictures } });
    expect(producer.run('agent:resume', {})).toEqual({ ok: false, error: 'agent:resume failed: agent not started' });
  });
});

describe('flowhost status', () => {
  it('prints the page address with the token while the agent runs, and says why not otherwise', () => {
    const dir = tempDir();
    expect(() => statusPageUrl(dir)).toThrow(/no agent status endpoint is recorded/);
    const token = loadOrCreateStatusToken(dir);
    writeStatusEndpoint(dir, { url: 'http://127.0.0.1:45678', pid: 4242, startedon: '2030-01-01T00:00:00.000Z' });
    expect(() => statusPageUrl(dir, () => false)).toThrow(/pid 4242\) is not running/);
    expect(statusPageUrl(dir, () => true)).toBe(`http://127.0.0.1:45678/#token=${token}`);
  });
});
