import { describe, expect, it } from 'vitest';
import winston from 'winston';
import { OrchestratorFrames, type FrameTargets } from '../../../../main/agent/orchestrator-frames.js';
import type { AgentState, OrchestratorFrame } from '../../../../shared/protocol.js';
import { agentState } from '../../../support/fake-agent.js';

const NOW = new Date('2026-12-07T12:00:00.000Z');
const MACHINE = '5e5e5e5e-1111-4222-8333-444444444444';
const [KEPT, CANCELLED, LOCAL] = ['a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000003'];

/** Targets that record what reached them. */
function targets() {
  const seen: string[] = [];
  const state = agentState();
  const to: FrameTargets = {
    store: { lastAckedSeq: () => 3, lastSeq: () => 5, activeSessions: () => [], isUnreportedLocal: (id) => id === LOCAL },
    scheduler: { agentState: () => state, cancel: (id) => seen.push(`cancel ${id}`), handle: (frame) => seen.push(`handle ${frame.type}`) },
    uploader: { start: (upTo) => seen.push(`start ${upTo}`), acked: (upTo) => seen.push(`acked ${upTo}`) },
    notifier: { changed: () => seen.push('changed'), resetSent: (s: AgentState) => seen.push(`resetSent ${s === state}`) },
  };
  return { to, seen };
}

const welcome = (serverTime: string, cancelSessions: string[]): OrchestratorFrame => ({ type: 'welcome', protocol: 1, flowmachineid: MACHINE, appliedUpTo: 4, serverTime, heartbeatIntervalMs: 1000, cancelSessions });

describe('OrchestratorFrames', () => {
  const logger = winston.createLogger({ silent: true });

  it('opens with a hello of the store and scheduler, whose state counts as sent', () => {
    const { to, seen } = targets();
    const hello = new OrchestratorFrames({ callbackKey: 'k'.repeat(32), logger, now: () => NOW, agentVersion: '9.9.9' }).hello(to);
    expect(hello).toMatchObject({ type: 'hello', agentVersion: '9.9.9', lastAckedSeq: 3, lastSeq: 5, agentTime: NOW.toISOString(), activeSessions: [] });
    expect(seen).toEqual(['resetSent true']);
  });

  it('on welcome: takes the orchestrator clock, starts the uploader, cancels what it lists except unreported Local runs', () => {
    const { to, seen } = targets();
    const frames = new OrchestratorFrames({ callbackKey: 'k'.repeat(32), logger, now: () => NOW });
    expect(frames.orchestratorNowMs()).toBe(NOW.getTime());
    frames.route(welcome(new Date(NOW.getTime() + 5000).toISOString(), [CANCELLED, LOCAL]), to);
    expect(frames.orchestratorNowMs()).toBe(NOW.getTime() + 5000);
    expect(seen).toEqual(['start 4', `cancel ${CANCELLED}`, 'changed']);
    frames.route({ type: 'ack', upTo: 4 }, to);
    frames.route({ type: 'revoke', sessionId: KEPT }, to);
    expect(seen.slice(3)).toEqual(['acked 4', 'handle revoke']);
  });

  it('signs with a new callback key at once, stores it once, and keeps using it when storing it fails', () => {
    const stored: string[] = [];
    const onCallbackKey = (key: string) => {
      stored.push(key);
      if (key.startsWith('c')) throw new Error('disk full');
    };
    const frames = new OrchestratorFrames({ callbackKey: 'a'.repeat(32), logger, onCallbackKey });
    const { to } = targets();
    frames.route({ type: 'callback-key', key: 'b'.repeat(32) }, to);
    frames.route({ type: 'callback-key', key: 'b'.repeat(32) }, to);
    expect(frames.callbackKey).toBe('b'.repeat(32));
    frames.route({ type: 'callback-key', key: 'c'.repeat(32) }, to);
    expect(frames.callbackKey).toBe('c'.repeat(32));
    expect(stored).toEqual(['b'.repeat(32), 'c'.repeat(32)]);
  });
});
