import { request } from 'node:http';
import { join } from 'node:path';
import winston from 'winston';
import { describe, expect, it } from 'vitest';
import { DisplayLease } from '../../../../../../main/agent/runner/desktop/display-lease.js';
import type { SessionDesktop } from '../../../../../../main/agent/runner/desktop/session-display.js';
import { AgentStore } from '../../../../../../main/agent/store/agent-store.js';
import { RunMode } from '../../../../../../shared/option-sets.js';
import { MAX_SCREENSHOT_BYTES } from '../../../../../../shared/protocol.js';
import { tempDir } from '../../../../../support/temp-dir.js';
import { waitFor } from '../../../../../support/wait-for.js';

/** A desktop whose one display shows a picture of `bytes` bytes. */
const desktopShowing = (bytes: number): SessionDesktop => ({
  open: async () => ({ env: {}, files: [], screenshot: async () => ({ ok: true, png: Buffer.alloc(bytes, 1) }), close: async () => undefined }),
  attendedAvailable: () => false,
  unattendedProblem: () => undefined,
});

async function capture(bytes: number): Promise<{ notes: string[]; stored: number | undefined }> {
  const store = AgentStore.open(join(tempDir(), 'agent.db'));
  const notes: string[] = [];
  try {
    const o = { desktop: desktopShowing(bytes), store, logger: winston.createLogger({ silent: true }), now: () => new Date(), note: (t: string) => notes.push(t) };
    const lease = await DisplayLease.open(o, { sessionId: 's1', runmode: RunMode.v.Unattended, workDir: tempDir() });
    await lease!.capture();
    await lease!.close();
    return { notes, stored: store.displays.screenshot('s1')?.png.length };
  } finally {
    store.close();
  }
}

describe('DisplayLease: the picture of a session that ended badly', () => {
  it('stores it and says so in the session log; one over MAX_SCREENSHOT_BYTES stays on this machine, and the log says it is not sent', async () => {
    const small = await capture(1000);
    expect(small).toEqual({ notes: ["screenshot of the session's display stored (1000 bytes)"], stored: 1000 });
    const big = await capture(MAX_SCREENSHOT_BYTES + 1);
    expect(big.stored).toBe(MAX_SCREENSHOT_BYTES + 1);
    expect(big.notes).toEqual([`screenshot of the session's display stored (${MAX_SCREENSHOT_BYTES + 1} bytes); over the ${MAX_SCREENSHOT_BYTES} bytes the orchestrator takes, so it stays on this machine`]);
  });
});

/** POST /screenshot on a lease's socket: status and body. */
function ask(socketPath: string, path = '/screenshot', method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('DisplayLease: pictures the flow asks for (screenshot-requests.ts)', () => {
  it('one at a time, stored with the session; the end picture waits for it and replaces it; after close the socket is gone', async () => {
    const store = AgentStore.open(join(tempDir(), 'agent.db'));
    const notes: string[] = [];
    let release: (() => void) | undefined;
    let shots = 0;
    const desktop: SessionDesktop = {
      open: async () => ({
        env: { DISPLAY: ':9' },
        files: [],
        screenshot: async () => {
          shots++;
          if (shots === 1) await new Promise<void>((resolve) => (release = resolve));
          return { ok: true, png: Buffer.alloc(shots, shots) };
        },
        close: async () => undefined,
      }),
      attendedAvailable: () => false,
      unattendedProblem: () => undefined,
    };
    try {
      const o = { desktop, store, logger: winston.createLogger({ silent: true }), now: () => new Date(), note: (t: string) => notes.push(t), requests: true };
      const lease = (await DisplayLease.open(o, { sessionId: 's1', runmode: RunMode.v.Unattended, workDir: tempDir() }))!;
      const socket = lease.env['FLOWHOST_SCREENSHOT_SOCKET']!;
      expect(lease.env['DISPLAY']).toBe(':9');
      expect(lease.files).toEqual([socket]);
      expect(await ask(socket, '/other')).toMatchObject({ status: 404 });
      expect(await ask(socket, '/screenshot', 'GET')).toMatchObject({ status: 405 });
      const first = ask(socket);
      await waitFor(() => release, { what: 'the first picture to be under way' });
      expect(await ask(socket)).toMatchObject({ status: 429 });
      const ending = lease.capture(); // the end picture waits for the requested one
      release!();
      expect(await first).toMatchObject({ status: 201, body: expect.stringMatching(/^\{"takenon":"[^"]+","bytes":1\}$/) });
      await ending;
      expect(store.displays.screenshot('s1')?.png.length).toBe(2);
      expect(notes).toEqual(["screenshot of the session's display on request stored (1 bytes)", "screenshot of the session's display stored (2 bytes)"]);
      await lease.close();
      await expect(ask(socket)).rejects.toThrow(/ENOENT/);
    } finally {
      store.close();
    }
  });
});
