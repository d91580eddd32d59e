import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionHeartbeat } from '../../../../../main/agent/upstream/connection-heartbeat.js';

describe('connection heartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function make(intervalMs = 1000) {
    const beats: number[] = [];
    const silences: number[] = [];
    const hb = new ConnectionHeartbeat({
      intervalMs,
      onBeat: () => beats.push(Date.now()),
      onSilence: (ms) => silences.push(ms),
    });
    return { hb, beats, silences };
  }

  it('beats every interval while started', () => {
    const { hb, beats } = make();
    hb.start();
    vi.advanceTimersByTime(1000 * 2);
    hb.touch();
    vi.advanceTimersByTime(1000);
    expect(beats).toHaveLength(3);
    hb.stop();
    vi.advanceTimersByTime(10_000);
    expect(beats).toHaveLength(3);
  });

  it('reports silence after 2.5 intervals without a touch, once, and stops beating', () => {
    const { hb, beats, silences } = make();
    hb.start();
    vi.advanceTimersByTime(2499);
    expect(silences).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(silences).toEqual([2500]);
    vi.advanceTimersByTime(10_000);
    expect(silences).toHaveLength(1);
    expect(beats).toHaveLength(2);
  });

  it('each touch pushes the deadline back', () => {
    const { hb, silences } = make();
    hb.start();
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(2000);
      hb.touch();
    }
    expect(silences).toEqual([]);
    vi.advanceTimersByTime(2500);
    expect(silences).toEqual([2500]);
  });

  it('watch() guards the time before welcome without beating; start() adopts the welcome interval', () => {
    const { hb, beats, silences } = make(30_000);
    hb.watch();
    vi.advanceTimersByTime(60_000);
    expect(beats).toEqual([]);
    hb.start(1000);
    vi.advanceTimersByTime(2499);
    expect(silences).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(silences).toHaveLength(1);
  });
});
