import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Configuration } from 'app-builder-lib';
import { getFileMatchers } from 'app-builder-lib/out/fileMatcher.js';
import { getConfig } from 'app-builder-lib/out/util/config/load.js';
import { findPackageRoot } from '../../../../main/agent/status/package-root.js';
import { StatusAssets } from '../../../../main/agent/status/status-assets.js';
import { APP_MAIN, assertNativeBuiltForElectron, stageApp, stagePackageJson, type StagedApp } from '../../../../main/electron/app-stage.js';

/**
 * What `npm run dist` hands electron-builder, built for real (renderer build + esbuild bundles) without Electron's
 * binary or the network: the staged files, and what electron-builder's own file matcher keeps of them and of the
 * repository. (electron-builder itself needs Electron's binary and headers, which cannot be downloaded here.)
 */
const root = resolve(import.meta.dirname, '../../../..');
let work: string;
let staged: StagedApp;
let config: Configuration;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'flowhost-stage-'));
  staged = await stageApp({ root, stageDir: join(work, 'app') });
  const read = await getConfig<Configuration>({ packageKey: 'build', configFilename: 'electron-builder', projectDir: root, packageMetadata: null }, join(root, 'electron-builder.yml'));
  if (!read) throw new Error('electron-builder.yml not found');
  config = read.result;
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => f.split('\\').join('/'))
    .filter((f) => statSync(join(dir, f)).isFile());
}

/** electron-builder's `files` filter for an app folder, as its app file copier builds it. */
function keptBy(appDir: string): (file: string) => boolean {
  const matchers = getFileMatchers(config, 'files', '/out', { macroExpander: (p) => p, customBuildOptions: {}, globalOutDir: join(appDir, 'dist', 'packages'), defaultSrc: appDir });
  const filter = matchers?.[0]?.createFilter();
  if (!filter) throw new Error('no files matcher');
  return (file) => filter(join(appDir, file), statSync(join(appDir, file)));
}

describe('the staged app (npm run dist, before electron-builder)', () => {
  it('holds the bundles, the built renderer, the assets and a package.json whose main is the bundle', () => {
    const files = filesUnder(staged.dir);
    for (const f of [APP_MAIN, 'dist/electron/preload.cjs', 'renderer/dist/index.html', 'renderer/dist/app.js', 'assets/icon.png', 'assets/tray/idle.png', 'assets/installer.nsh', 'package-lock.json']) {
      expect(files, f).toContain(f);
    }
    const pkg = JSON.parse(readFileSync(join(staged.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg['main']).toBe(APP_MAIN);
    expect(rootPkg['main']).toBe(APP_MAIN);
    expect(config.extraMetadata?.['main']).toBe(APP_MAIN);
    // Same dependencies as the lockfile's root entry, so `npm ci` accepts it; no scripts to run in the stage.
    expect(pkg['dependencies']).toEqual(rootPkg['dependencies']);
    expect(pkg['devDependencies']).toEqual(rootPkg['devDependencies']);
    expect(pkg).not.toHaveProperty('scripts');
    expect(stagePackageJson({ name: 'x', main: 'old.js', scripts: { a: 'b' }, bin: {} })).toEqual({ name: 'x', main: APP_MAIN });
  });

  it('lets the bundled agent find the status page from the main bundle (the app as `flowhost agent`)', () => {
    expect(findPackageRoot(staged.main)).toBe(staged.dir);
    expect(new StatusAssets({ root: findPackageRoot(staged.main) }).get('/')?.body.toString('utf8')).toContain('app.js');
  });

  it('bundles no orchestrator, no CLI entry, no demo and no tests into the app', () => {
    expect(staged.bundledSources).toContain('main/electron/main.ts');
    expect(staged.bundledSources).toContain('main/electron/app-cli.ts');
    const shipped = staged.bundledSources.filter((f) => /^(orchestrator|test|docs|scripts)\//.test(f) || f === 'main/cli.ts' || f.startsWith('main/commands/demo'));
    expect(shipped).toEqual([]);
    expect(readFileSync(staged.main, 'utf8')).not.toMatch(/startOrchestrator|registerAgentGateway/);
  });

  it('passes every staged file through electron-builder’s files filter, except the installer include and the lockfile', () => {
    const keep = keptBy(staged.dir);
    const dropped = filesUnder(staged.dir).filter((f) => !keep(f));
    expect(dropped.sort()).toEqual(['assets/installer.nsh', 'package-lock.json']);
  });

  it('would leave the orchestrator, tests, docs and scripts out even if pointed at the repository', () => {
    const keep = keptBy(root);
    for (const f of ['orchestrator/index.ts', 'test/e2e/main-job.test.ts', 'scripts/build-renderer.mjs', 'main/cli.ts', 'renderer/main.ts']) {
      expect(existsSync(join(root, f)), f).toBe(true);
      expect(keep(f), f).toBe(false);
    }
    for (const f of ['package.json', 'renderer/dist/index.html', 'assets/icon.png']) expect(keep(f), f).toBe(true);
    const docs = filesUnder(join(root, 'docs')).map((f) => relative(root, join(root, 'docs', f)));
    expect(docs.filter((f) => keep(f))).toEqual([]);
  });
});

describe('assertNativeBuiltForElectron (run by npm run dist after the rebuild)', () => {
  it("refuses a better-sqlite3 that loads in Node (Node's ABI) and one that does not load at all", () => {
    const nodeBuild = join(work, 'node-build');
    mkdirSync(nodeBuild);
    symlinkSync(join(root, 'node_modules'), join(nodeBuild, 'node_modules'), 'dir');
    expect(() => assertNativeBuiltForElectron(nodeBuild)).toThrow(/built for Node's ABI/);
    expect(() => assertNativeBuiltForElectron(join(work, 'empty'))).toThrow(/does not load/);
  });
});
