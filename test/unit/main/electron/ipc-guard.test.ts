import { describe, expect, it } from 'vitest';
import { checkEvent, checkSender, dispatchCommand, type IpcSender } from '../../../../main/electron/ipc-guard.js';
import { isStatusPageUrl, STATUS_PAGE_URL, WINDOW_CSP } from '../../../../main/electron/window-policy.js';
import { MAX_STATUS_SCREENSHOT_BYTES, type StatusSnapshot } from '../../../../shared/status.js';

const good: IpcSender = { webContentsId: 7, frameUrl: STATUS_PAGE_URL, isTopFrame: true };
const snapshot: StatusSnapshot = {
  at: '2026-01-01T00:00:00.000Z',
  connection: { status: 'connected', orchestratorUrl: 'http://127.0.0.1:1' },
  machine: { flowmachineid: 'm1' },
  scheduling: { capacity: 1, freeSlots: 1, paused: false, draining: false, attendedAvailable: false, sessionUsers: [], storageOk: true },
  attendedMode: false,
  active: [],
  recent: [],
  backlog: { events: 0, callbacks: 0 },
};
const log = () => {
  const lines: string[] = [];
  return { lines, warn: (m: string) => lines.push(m) };
};

describe('checkSender', () => {
  it('trusts only the status window id, its top frame and the status page origin', () => {
    expect(checkSender(7, good)).toEqual({ ok: true });
    expect(checkSender(undefined, good)).toMatchObject({ ok: false, reason: 'no status window is open' });
    expect(checkSender(7, { ...good, webContentsId: 8 })).toMatchObject({ ok: false });
    expect(checkSender(7, { ...good, isTopFrame: false })).toMatchObject({ ok: false, reason: 'sender is not the top frame' });
    for (const frameUrl of [undefined, 'https://evil.example/', 'file:///index.html', 'flowhost://other/index.html', 'flowhost://status:81/', 'flowhost://u@status/']) {
      expect(checkSender(7, { ...good, frameUrl }), String(frameUrl)).toMatchObject({ ok: false });
    }
  });

  it('accepts any page path of the status origin', () => {
    expect(isStatusPageUrl('flowhost://status/index.html#recent')).toBe(true);
    expect(isStatusPageUrl('not a url')).toBe(false);
  });
});

describe('dispatchCommand', () => {
  it('runs the handler with a valid payload and validates the reply', async () => {
    const l = log();
    const result = await dispatchCommand('agent:pause', (req) => ({ ...snapshot, scheduling: { ...snapshot.scheduling, paused: req.minutes === 60 } }), { trustedId: 7, sender: good, payload: { minutes: 60 } }, l);
    expect(result).toMatchObject({ ok: true, value: { scheduling: { paused: true } } });
    expect(l.lines).toEqual([]);
  });

  it('refuses a foreign sender without running the handler', async () => {
    const l = log();
    let ran = false;
    const result = await dispatchCommand('agent:resume', () => ((ran = true), snapshot), { trustedId: 7, sender: { ...good, webContentsId: 9 }, payload: {} }, l);
    expect(result).toEqual({ ok: false, error: 'refused' });
    expect(ran).toBe(false);
    expect(l.lines[0]).toMatch(/agent:resume refused: sender 9/);
  });

  it('refuses a payload that does not match the schema, naming the problem', async () => {
    const l = log();
    for (const payload of [{ minutes: 0 }, { minutes: 'ten' }, { minutes: 5, extra: 1 }, null, 'x']) {
      const result = await dispatchCommand('agent:pause', () => snapshot, { trustedId: 7, sender: good, payload }, l);
      expect(result.ok, JSON.stringify(payload)).toBe(false);
    }
    expect(l.lines).toHaveLength(5);
  });

  it('turns a handler error and an invalid reply into error values', async () => {
    const l = log();
    expect(await dispatchCommand('agent:resume', () => { throw new Error('agent not started'); }, { trustedId: 7, sender: good, payload: {} }, l)).toEqual({ ok: false, error: 'agent:resume failed: agent not started' });
    const bad = await dispatchCommand('agent:resume', () => ({ nope: true }) as unknown as StatusSnapshot, { trustedId: 7, sender: good, payload: {} }, l);
    expect(bad).toEqual({ ok: false, error: 'agent:resume failed: the agent produced an invalid reply' });
  });

  it('refuses a channel that is not in the map', async () => {
    const result = await dispatchCommand('shell:exec' as 'agent:resume', () => snapshot, { trustedId: 7, sender: good, payload: {} }, log());
    expect(result).toEqual({ ok: false, error: "unknown channel 'shell:exec'" });
  });
});

describe('checkEvent', () => {
  it('lets a valid snapshot through and stops an invalid one', () => {
    expect(checkEvent('status:changed', snapshot)).toBeUndefined();
    expect(checkEvent('status:changed', { ...snapshot, attendedMode: 'yes' } as unknown as StatusSnapshot)).toMatch(/invalid status:changed payload/);
  });
});

describe('WINDOW_CSP', () => {
  it("carries a failed run's picture within the bound and refuses a larger one", async () => {
    const payload = { sessionId: 's1' };
    const ok = await dispatchCommand('session:screenshot', () => ({ sessionId: 's1', takenon: snapshot.at, pngBase64: 'iVBORw0KGgo=' }), { trustedId: 7, sender: good, payload }, log());
    expect(ok).toEqual({ ok: true, value: { sessionId: 's1', takenon: snapshot.at, pngBase64: 'iVBORw0KGgo=' } });
    const tooBig = 'A'.repeat(Math.ceil(MAX_STATUS_SCREENSHOT_BYTES / 3) * 4 + 4);
    const l = log();
    const refused = await dispatchCommand('session:screenshot', () => ({ sessionId: 's1', takenon: snapshot.at, pngBase64: tooBig }), { trustedId: 7, sender: good, payload }, l);
    expect(refused).toEqual({ ok: false, error: 'session:screenshot failed: the agent produced an invalid reply' });
    expect(l.lines.join('\n')).toContain('pngBase64');
  });

  it('admits images only from the page itself or a blob: URL it made (the picture), never data:', () => {
    expect(WINDOW_CSP.split('; ')).toContain("img-src 'self' blob:");
    expect(WINDOW_CSP).not.toContain('data:');
  });

  it('allows no connections, inline code or frames', () => {
    expect(WINDOW_CSP).toContain("connect-src 'none'");
    expect(WINDOW_CSP).toContain("default-src 'none'");
    expect(WINDOW_CSP).toContain("frame-ancestors 'none'");
    expect(WINDOW_CSP).not.toContain('unsafe');
  });
});
