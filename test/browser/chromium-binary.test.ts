import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { LINUX, skipUnless } from '../support/requirements.js';
import { tempDir } from '../support/temp-dir.js';
import { launchChromium } from './browser-harness.js';
import { DEBIAN_CHROMIUM, findChromium, npmChromiumDir, type Platform } from './chromium-binary.js';

const machine = (over: Partial<Platform> & { has?: string[] }): Platform => ({
  env: {},
  platform: 'linux',
  arch: 'x64',
  npmChromiumDir: undefined,
  runnable: (path) => (over.has ?? []).includes(path),
  ...over,
});

describe('which Chromium the browser tests drive', () => {
  it('FLOWHOST_CHROMIUM first, as given, even where another is installed', async () => {
    const found = findChromium(machine({ env: { FLOWHOST_CHROMIUM: '/opt/mine/chrome' }, npmChromiumDir: '/x', has: [DEBIAN_CHROMIUM] }));
    expect(found?.source).toBe('$FLOWHOST_CHROMIUM (/opt/mine/chrome)');
    expect(await found?.prepare()).toEqual({ executablePath: '/opt/mine/chrome' });
  });

  it("on Linux x64 the npm package's Chromium before Debian's", () => {
    const packageDir = tempDir();
    writeFileSync(join(packageDir, 'package.json'), '{"version": "147.0.0"}');
    expect(findChromium(machine({ npmChromiumDir: packageDir, has: [DEBIAN_CHROMIUM] }))?.source).toBe('@sparticuz/chromium 147.0.0 (npm)');
  });

  it("Debian's chromium where the npm one cannot run (another CPU), then Google Chrome", () => {
    expect(findChromium(machine({ arch: 'arm64', npmChromiumDir: '/x', has: [DEBIAN_CHROMIUM, '/opt/google/chrome/chrome'] }))?.source).toBe(`Debian's chromium (${DEBIAN_CHROMIUM})`);
    expect(findChromium(machine({ arch: 'arm64', has: ['/opt/google/chrome/chrome'] }))?.source).toBe('Google Chrome (/opt/google/chrome/chrome)');
  });

  it('Google Chrome where its installer puts it on macOS and Windows; none found is undefined', async () => {
    const mac = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
    await expect(findChromium(machine({ platform: 'darwin', arch: 'arm64', has: [mac] }))?.prepare()).resolves.toEqual({ executablePath: mac });
    const win = join('C:\\Program Files', 'Google', 'Chrome', 'Application', 'chrome.exe');
    await expect(findChromium(machine({ platform: 'win32', env: { PROGRAMFILES: 'C:\\Program Files' }, has: [win] }))?.prepare()).resolves.toEqual({ executablePath: win });
    expect(findChromium(machine({ platform: 'darwin', arch: 'arm64', npmChromiumDir: '/x' }))).toBeUndefined();
  });
});

const installed = npmChromiumDir();
const npm = process.platform === 'linux' && process.arch === 'x64' && installed !== undefined ? findChromium({ env: {}, platform: 'linux', arch: 'x64', runnable: () => false, npmChromiumDir: installed }) : undefined;

describe.skipIf(skipUnless(npm !== undefined, { what: 'Linux x64 and @sparticuz/chromium (`npm ci` installs it)', platforms: LINUX }))('the Chromium npm installs (Linux x64)', () => {
  it('renders a page headless with playwright-core', async () => {
    const browser = await launchChromium(npm);
    try {
      const page = await browser.context.newPage();
      await page.setContent('<p id="p"></p><script>document.getElementById("p").textContent = String(6 * 7)</script>');
      expect(await page.locator('#p').textContent()).toBe('42');
    } finally {
      await browser.close();
    }
  });

  it('loads NSS, NSPR and expat from its own package, none from the OS (nothing from apt needed)', async () => {
    const { executablePath, env } = await npm!.prepare();
    const server = await chromium.launchServer({ executablePath, env, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const maps = readFileSync(`/proc/${server.process().pid}/maps`, 'utf8');
      const libs = [...new Set(maps.match(/\S*\/lib(?:nss3|nspr4|expat)\.so\S*/g))];
      expect(libs.sort()).toEqual(['libexpat.so.1', 'libnspr4.so', 'libnss3.so'].map((lib) => join(env!['LD_LIBRARY_PATH']!, lib)));
    } finally {
      await server.close();
    }
  });
});
