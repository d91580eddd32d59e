import { describe, expect, it } from 'vitest';
import { ErrorCode, QueueReason } from '../../../../shared/error-codes.js';
import { RejectCooldown } from '../../../../orchestrator/queue/reject-cooldown.js';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);

describe('RejectCooldown', () => {
  it('keeps a session off a machine that cannot run it for the whole cooldown, with the reason', () => {
    const c = new RejectCooldown(60_000);
    c.add('s1', 'm1', at(0), ErrorCode.SessionUserUnavailable);
    expect(c.reason('s1', 'm1', at(59_999))).toBe(QueueReason.SessionUserUnavailable);
    expect(c.reason('s1', 'm2', at(1))).toBeUndefined();
    expect(c.reason('s1', 'm1', at(60_000))).toBeUndefined();
  });

  it.each([ErrorCode.AgentPaused, ErrorCode.AgentDraining, ErrorCode.NoFreeSlot, ErrorCode.StorageUnavailable])(
    'cools a %s reject down only briefly: the machine state decides after that',
    (code) => {
      const c = new RejectCooldown(60_000);
      c.add('s1', 'm1', at(0), code);
      expect(c.reason('s1', 'm1', at(1_999))).toBe(QueueReason.AllMachinesBusy);
      expect(c.reason('s1', 'm1', at(2_000))).toBeUndefined();
    },
  );

  it('keeps a FeatureUnsupported reject for as long as the machine stays connected, however long, and drops it when it disconnects', () => {
    const c = new RejectCooldown(60_000);
    c.add('s1', 'm1', at(0), ErrorCode.FeatureUnsupported);
    c.add('s1', 'm2', at(0), ErrorCode.SessionUserUnavailable);
    c.add('s2', 'm1', at(0), ErrorCode.SessionUserUnavailable);
    expect(c.reason('s1', 'm1', at(365 * 86_400_000))).toBe(QueueReason.FeatureUnsupported);
    c.machineDisconnected('m1');
    expect(c.reason('s1', 'm1', at(1))).toBeUndefined();
    // Other rejects keep their cooldown across a reconnect.
    expect(c.reason('s1', 'm2', at(1))).toBe(QueueReason.SessionUserUnavailable);
    expect(c.reason('s2', 'm1', at(1))).toBe(QueueReason.SessionUserUnavailable);
  });

  it('forgets a session', () => {
    const c = new RejectCooldown(60_000);
    c.add('s1', 'm1', at(0));
    c.forget('s1');
    expect(c.reason('s1', 'm1', at(1))).toBeUndefined();
  });
});
