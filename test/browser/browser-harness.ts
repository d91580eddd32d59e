import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_REQUIREMENT, findChromium, type ChromiumBinary } from './chromium-binary.js';

/** Scripts that run inside pages (plain JS in test/browser/pages, outside the Node typecheck). */
export const pageScript = (name: string): string => fileURLToPath(new URL(`./pages/${name}`, import.meta.url));

/** The Chromium these tests drive (see chromium-binary.ts for the order); undefined when this machine has none. */
export const CHROMIUM = findChromium();

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Real headless Chromium on a fresh profile (--user-data-dir in a temp dir, removed on close). */
export async function launchChromium(binary: ChromiumBinary | undefined = CHROMIUM): Promise<Chromium> {
  if (binary === undefined) throw new Error(`no Chromium found: ${CHROMIUM_REQUIREMENT}`);
  const profile = mkdtempSync(join(tmpdir(), 'flowhost-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { ...(await binary.prepare()), headless: true, args: ARGS });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`cannot start ${binary.source}: ${String(err)}`);
  }
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * What went wrong on a page: console errors and warnings, uncaught exceptions and CSP violations (reported by a
 * `securitypolicyviolation` listener installed before the page's own scripts run).
 */
export interface PageProblems {
  readonly console: string[];
  readonly cspViolations: string[];
}

export async function watchPage(page: Page, options: { ignoreConsole?: RegExp } = {}): Promise<PageProblems> {
  const problems: PageProblems = { console: [], cspViolations: [] };
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    if (options.ignoreConsole?.test(msg.text())) return;
    problems.console.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.console.push(`uncaught: ${err.message}`));
  await page.exposeFunction('__flowhostCsp', (text: string) => problems.cspViolations.push(text));
  await page.addInitScript({ path: pageScript('csp-listener.js') });
  return problems;
}
