import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QueueReason } from '../../shared/error-codes.js';
import { AgentStore } from '../../main/agent/store/agent-store.js';
import { startStatusServer, type RunningStatusServer } from '../../main/agent/status/status-server.js';
import type { TestOrchestrator } from '../support/orchestrator-harness.js';
import { waitFor } from '../support/wait-for.js';
import { createFixtureWorkflow, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd, type ApiAgent } from '../support/api-harness.js';
import { skipUnless } from '../support/requirements.js';
import { CHROMIUM, launchChromium, pageScript, watchPage, type Chromium, type PageProblems } from './browser-harness.js';
import { CHROMIUM_REQUIREMENT } from './chromium-binary.js';

/**
 * The status window in real headless Chromium, served by the agent's loopback status endpoint, against a real
 * orchestrator (Web API + gateway) and a real agent running real flows.
 */
let orch: TestOrchestrator;
let machine: ApiAgent;
let status: RunningStatusServer;
let browser: Chromium;
let groupId: string;
let workflowId: string;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  orch = await startApiOrchestrator();
  groupId = await createGroup(orch, 'status-window');
  workflowId = await createFixtureWorkflow(orch, 'ticker.mjs');
  // 500 ms samples, stored in batches of 10: during the 4 s ticker run no batch reaches the store, so the sparklines
  // the page draws come from the agent's live samples alone.
  machine = await startApiAgent(orch, { group: 'status-window', name: 'status-pc', capacity: 1, sampleIntervalMs: 500 });
  status = await startStatusServer({ agent: machine.agent, dataDir: machine.dataDir });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await status?.close();
  await machine?.dispose();
  await orch?.close();
});

async function open(url: string): Promise<Page> {
  page = await browser.context.newPage();
  problems = await watchPage(page);
  await page.goto(url);
  return page;
}

afterEach(async () => {
  await page?.close();
  // A failed test must not leave the machine paused for the next one.
  if (machine.agent.state().scheduling.paused) machine.agent.resume();
});

/** Every status the page rendered for each session row, in order (see pages/record-statuses.js). */
const recordStatuses = async (p: Page) => p.evaluate(readFileSync(pageScript('record-statuses.js'), 'utf8'));
const seenStatuses = (p: Page, id: string) => p.evaluate<string[]>(`window.__seen[${JSON.stringify(id)}] ?? []`);
const row = (p: Page, list: 'active' | 'recent', id: string) => p.locator(`#${list} tr[data-session-id="${id}"]`);

function expectNoProblems(): void {
  expect(problems.console).toEqual([]);
  expect(problems.cspViolations).toEqual([]);
}

describe.skipIf(skipUnless(CHROMIUM !== undefined, CHROMIUM_REQUIREMENT))('status window (headless Chromium, real agent and orchestrator)', () => {
  it('shows the agent live and a session go Running → Succeeded with samples and its log', async () => {
    const p = await open(status.pageUrl);
    await p.locator('#link[data-state="live"]').waitFor();
    await expect.poll(() => p.locator('#connection').getAttribute('data-status')).toBe('connected');
    // Names for people, ids for support (hover).
    expect(await p.locator('#machine').textContent()).toBe('Machine status-pc · group status-window');
    expect(await p.locator('#machine').getAttribute('title')).toBe(`machine id ${machine.machineId} · group id ${groupId}`);
    expect(await p.locator('#scheduling').textContent()).toContain('Taking work');
    await recordStatuses(p);

    const id = await runFlow(orch, workflowId, { machineGroupId: groupId, inputs: { everyMs: 100, ticks: 40 } });
    const running = row(p, 'active', id);
    await running.locator('[data-status="Running"]').waitFor({ timeout: 15_000 });
    expect(await running.locator('td').first().textContent()).toBe('ticker.mjs');
    // Live samples draw the sparklines while the session runs (the 4 s flow ends long after); the elapsed time is shown.
    await running.locator('svg.cpu polyline').waitFor({ state: 'attached', timeout: 15_000 });
    await expect.poll(async () => ((await running.locator('svg.ram polyline').getAttribute('points')) ?? '').split(' ').length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    expect(await running.locator('[data-status="Running"]').count()).toBe(1);
    expect(await running.getByRole('img', { name: /^CPU \d+ %$/ }).count()).toBe(1);
    expect(await running.locator('td.elapsed').textContent()).toMatch(/\d/);
    await running.getByRole('button', { name: 'Show log' }).click();
    await expect.poll(() => p.locator('#log').textContent(), { timeout: 10_000 }).toMatch(/tick \d+/);
    if (process.env['FLOWHOST_SCREENSHOT']) await p.screenshot({ path: process.env['FLOWHOST_SCREENSHOT'], fullPage: true });

    await row(p, 'recent', id).locator('[data-status="Succeeded"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => row(p, 'active', id).count()).toBe(0);
    await expect.poll(() => p.locator('#log').textContent()).toContain('tick 40');
    const seen = await seenStatuses(p, id);
    // Waiting (accepted, not started) lasts one accept → confirm round trip, so it shows only when a snapshot falls in it.
    expect(seen.filter((s) => s !== 'Waiting')).toEqual(['Running', 'Succeeded']);
    if (seen.includes('Waiting')) expect(seen[0]).toBe('Waiting');
    expect((await getSession(orch, id))['statuscode']).toBe(4);
    expectNoProblems();
  });

  it('pauses the machine from the page: a queued session stays Waiting (MachinesPausedOrDraining) until Resume', async () => {
    const p = await open(status.pageUrl);
    await p.locator('#link[data-state="live"]').waitFor();
    await p.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect.poll(() => p.locator('#scheduling').getAttribute('data-paused')).toBe('true');
    expect(machine.agent.state().scheduling.paused).toBe(true);
    expect(await p.locator('#resume').isDisabled()).toBe(false);
    // The orchestrator hears of the pause with the agent's next state frame; work offered before that is refused.
    await waitFor(async () => (await orch.api('GET', `flowmachines(${machine.machineId})`)).json?.paused === true, { what: 'the orchestrator to see the pause' });

    const id = await runFlow(orch, workflowId, { machineGroupId: groupId, inputs: { everyMs: 20, ticks: 3 } });
    const queued = await waitFor(
      async () => {
        const s = await getSession(orch, id);
        return s['queuereason'] === QueueReason.MachinesPausedOrDraining ? s : undefined;
      },
      { what: 'the session to wait for the paused machine' },
    );
    expect(queued['statuscode']).toBe(3);
    expect(machine.agent.state().sessions).toEqual([]);

    await p.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => p.locator('#scheduling').getAttribute('data-paused')).toBe('false');
    const ended = await waitForSessionEnd(orch, id).catch(async (err: Error) => {
      throw new Error(`${err.message}; session ${JSON.stringify(await getSession(orch, id))}; agent ${JSON.stringify(machine.agent.state())}`);
    });
    expect(ended['statuscode']).toBe(4);
    await row(p, 'recent', id).locator('[data-status="Succeeded"]').waitFor({ timeout: 10_000 });

    await p.getByRole('button', { name: 'Pause for 1 hour' }).click();
    await expect.poll(() => p.locator('#scheduling').textContent()).toMatch(/Paused until/);
    const until = Date.parse(machine.agent.state().scheduling.pausedUntil ?? '');
    expect(until - Date.now()).toBeGreaterThan(59 * 60_000);
    await p.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => machine.agent.state().scheduling.paused).toBe(false);

    await p.getByRole('switch', { name: 'Attended mode' }).check();
    await expect.poll(() => machine.agent.state().attendedMode).toBe(true);
    await p.getByRole('switch', { name: 'Attended mode' }).uncheck();
    await expect.poll(() => machine.agent.state().attendedMode).toBe(false);
    expectNoProblems();
  });

  it('keeps the Attended switch where the user put it while snapshots stream in before the agent answers', async () => {
    const p = await open(status.pageUrl);
    await p.locator('#link[data-state="live"]').waitFor();
    // A fast ticker keeps snapshots coming, so one taken before a flip often lands between the click and the reply.
    const id = await runFlow(orch, workflowId, { machineGroupId: groupId, inputs: { everyMs: 5, ticks: 600 } });
    await row(p, 'active', id).locator('[data-status="Running"]').waitFor({ timeout: 15_000 });
    const attended = p.getByRole('switch', { name: 'Attended mode' });
    for (let flip = 0; flip < 10; flip++) {
      // check()/uncheck() fail if the box is not in the new state right after the click.
      await attended.check();
      await expect.poll(() => machine.agent.state().attendedMode).toBe(true);
      await attended.uncheck();
      await expect.poll(() => machine.agent.state().attendedMode).toBe(false);
    }
    expect(await attended.isChecked()).toBe(false);
    await waitForSessionEnd(orch, id);
    expectNoProblems();
  });

  it("shows the stored picture of a failed session's display under its log, through the CSP", async () => {
    const p = await open(status.pageUrl);
    await p.locator('#link[data-state="live"]').waitFor();
    const failing = await createFixtureWorkflow(orch, 'lines.mjs');
    const fine = await runFlow(orch, failing, { machineGroupId: groupId, inputs: { lines: 1, exitCode: 0 } });
    await row(p, 'recent', fine).locator('[data-status="Succeeded"]').waitFor({ timeout: 20_000 });
    const id = await runFlow(orch, failing, { machineGroupId: groupId, inputs: { lines: 1, exitCode: 3 } });
    await row(p, 'recent', id).locator('[data-status="Failed"]').waitFor({ timeout: 20_000 });
    // The picture the agent takes of a session's display (docs/desktop.md), stored here by a second connection to its
    // store: a 64x48 red PNG. A change of the agent's state then brings a snapshot that offers it.
    const png = new PNG({ width: 64, height: 48 });
    for (let i = 0; i < png.data.length; i += 4) png.data.set([255, 0, 0, 255], i);
    const writer = AgentStore.open(join(machine.dataDir, 'agent.db'));
    try {
      writer.displays.saveScreenshot(id, new Date().toISOString(), PNG.sync.write(png));
    } finally {
      writer.close();
    }
    machine.agent.setAttendedMode(true);
    machine.agent.setAttendedMode(false);

    await row(p, 'recent', id).getByRole('button', { name: 'Show log' }).click();
    const img = p.locator(`#picture img[data-session-id="${id}"]`);
    await img.waitFor({ timeout: 10_000 });
    const natural = () => p.evaluate<{ complete: boolean; width: number; height: number }>(
      `(() => { const el = document.querySelector('#picture img'); return { complete: el.complete, width: el.naturalWidth, height: el.naturalHeight }; })()`,
    );
    await expect.poll(natural).toEqual({ complete: true, width: 64, height: 48 });
    expect(await img.getAttribute('src')).toMatch(/^blob:/);
    expect(await p.getByRole('img', { name: /^The display of lines\.mjs when it ended/ }).count()).toBe(1);
    // Another session chosen: its picture goes.
    await row(p, 'recent', fine).getByRole('button', { name: 'Show log' }).click();
    await expect.poll(() => p.locator('#picture').isHidden()).toBe(true);
    expectNoProblems();
  }, 60_000);

  it('gets nothing with a wrong token: 401, the page says so and shows no agent data', async () => {
    const p = await open(`${status.url}/#token=${'x'.repeat(43)}`);
    await p.locator('#link[data-state="unauthorized"]').waitFor();
    expect(await p.getByRole('alert').textContent()).toContain('401');
    expect(await p.locator('#content').isHidden()).toBe(true);
    expect(await p.locator('#token-form').isVisible()).toBe(true);
    expect(await p.locator('#machine').textContent()).not.toContain('status-pc');
    expect(await p.locator('#machine').getAttribute('title')).toBeNull();
    const direct = await p.evaluate(async () => {
      const res = await fetch('/api/commands/status:get', { method: 'POST', headers: { Authorization: 'Bearer wrong', 'Content-Type': 'application/json' }, body: '{}' });
      return { status: res.status, body: await res.text() };
    });
    expect(direct).toEqual({ status: 401, body: '{"error":"unauthorized"}' });
    // The browser logs the refused requests itself; nothing else may show up.
    expect(problems.console.filter((m) => !/401 \(Unauthorized\)/.test(m))).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
  });

  it('asks for the token when the address has none, and connects with the one typed in', async () => {
    const p = await open(`${status.url}/`);
    await p.locator('#token-form').waitFor();
    const token = new URL(status.pageUrl).hash.slice('#token='.length);
    await p.getByLabel(/Status token/).fill(token);
    await p.getByRole('button', { name: 'Connect' }).click();
    await p.locator('#link[data-state="live"]').waitFor();
    await expect.poll(() => p.locator('#machine').textContent()).toContain('status-pc');
    expectNoProblems();
  });

  it('enforces its CSP (and the violation listener of these tests does see a violation)', async () => {
    const p = await open(status.pageUrl);
    await p.locator('#link[data-state="live"]').waitFor();
    await p.evaluate(`(() => { const img = document.createElement('img'); img.src = 'http://example.invalid/x.png'; document.body.append(img); })()`);
    // Reported once per policy: the response header's and the page's own meta tag.
    await expect.poll(() => problems.cspViolations).toContain('img-src blocked http://example.invalid/x.png');
  });
});
