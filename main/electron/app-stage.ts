// Stages the tray app for electron-builder (`npm run dist`): the renderer build, the main/preload bundles, assets and
// a package.json + lockfile in a folder of their own. electron-builder then runs with that folder as its project, so
// its native rebuild (better-sqlite3 for Electron's ABI) happens in the stage's node_modules and never in the
// repository's, which keep the Node build of the headless agent and the tests. No electron import.
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleTrayApp } from './electron-bundle.js';

/** Where the app's main process starts, relative to the app root (package.json `main`). */
export const APP_MAIN = 'dist/electron/main.mjs';

export interface StagedApp {
  readonly dir: string;
  readonly main: string;
  readonly preload: string;
  /** Repository files bundled into the app's JavaScript (esbuild's inputs). */
  readonly bundledSources: readonly string[];
}

/** The stage's package.json: the repository's (same dependencies, so the lockfile stays valid) minus its scripts and bin. */
export function stagePackageJson(rootPackage: Record<string, unknown>): Record<string, unknown> {
  const { scripts: _scripts, bin: _bin, ...rest } = rootPackage;
  return { ...rest, main: APP_MAIN };
}

/** Builds the renderer and the bundles, and lays out `stageDir` (emptied first) as the app's project folder. */
export async function stageApp(o: { readonly root: string; readonly stageDir: string }): Promise<StagedApp> {
  await buildRenderer(o.root);
  rmSync(o.stageDir, { recursive: true, force: true });
  mkdirSync(o.stageDir, { recursive: true });
  const bundles = await bundleTrayApp(join(o.stageDir, 'dist', 'electron'));
  cpSync(join(o.root, 'renderer', 'dist'), join(o.stageDir, 'renderer', 'dist'), { recursive: true });
  cpSync(join(o.root, 'assets'), join(o.stageDir, 'assets'), { recursive: true });
  const rootPackage = JSON.parse(readFileSync(join(o.root, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(o.stageDir, 'package.json'), `${JSON.stringify(stagePackageJson(rootPackage), null, 2)}\n`);
  cpSync(join(o.root, 'package-lock.json'), join(o.stageDir, 'package-lock.json'));
  return { dir: o.stageDir, main: bundles.main, preload: bundles.preload, bundledSources: bundles.inputs.filter((i) => !i.startsWith('node_modules/')) };
}

function buildRenderer(root: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(root, 'scripts', 'build-renderer.mjs')], { cwd: root, timeout: 120_000 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`building the renderer failed: ${stderr.trim() || err.message}`)) : resolve(),
    );
  });
}

/**
 * Fails when the stage's better-sqlite3 still loads in this Node: then it was built for Node's ABI, not Electron's
 * (node-gyp obeys npm_config_nodedir over the Electron target), and the packaged app could not open its store.
 */
export function assertNativeBuiltForElectron(stageDir: string): void {
  const module = join(stageDir, 'node_modules', 'better-sqlite3');
  const r = spawnSync(process.execPath, ['-e', `new (require(${JSON.stringify(module)}))(':memory:')`], { encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0) {
    throw new Error(`${module} was built for Node's ABI (${process.versions.modules}), not Electron's: the app could not load it. Is npm_config_nodedir set?`);
  }
  if (!/NODE_MODULE_VERSION/.test(r.stderr)) throw new Error(`${module} does not load: ${r.stderr.trim().split('\n')[0] ?? r.status}`);
}
