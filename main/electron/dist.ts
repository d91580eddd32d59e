// `npm run dist` / `npm run dist:dir`: stages the app (app-stage.ts), installs its production dependencies in the
// stage from the repository's lockfile, and runs electron-builder there (installers in dist/packages/, or with
// --dir the unpacked app only). electron-builder rebuilds better-sqlite3 for Electron's ABI in the stage
// (npmRebuild), which needs Electron's headers (electronjs.org) or a prebuilt binary; it downloads Electron itself
// unless this machine's binary is present (`npm run electron:fetch`) and the build is for this platform.
// Platform flags pass through: `npm run dist -- --win`. No electron import.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertNativeBuiltForElectron, stageApp } from './app-stage.js';
import { locateElectron } from './electron-binary.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const platforms = (['win', 'mac', 'linux'] as const).filter((p) => args.includes(`--${p}`));

const staged = await stageApp({ root, stageDir: join(root, 'dist', 'app') });
process.stdout.write(`app staged in ${staged.dir}\n`);

// --ignore-scripts: nothing is compiled for Node here; electron-builder compiles the native module for Electron next.
const npm = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: staged.dir, stdio: 'inherit', shell: process.platform === 'win32' });
if (npm.status !== 0) throw new Error(`npm ci in ${staged.dir} failed (exit ${npm.status ?? npm.signal})`);

const electronDir = dirname(require.resolve('electron/package.json'));
const electronVersion = (JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')) as { version: string }).version;
const hostPlatform = ({ win32: 'win', darwin: 'mac', linux: 'linux' } as const)[process.platform as 'win32' | 'darwin' | 'linux'];
const local = locateElectron(electronDir, process.env['ELECTRON_OVERRIDE_DIST_PATH']);
const electronDist = local.found && platforms.every((p) => p === hostPlatform) ? dirname(local.path) : undefined;

// node-gyp prefers a nodedir (Node's own headers) over the Electron target it is given: the rebuild would quietly
// produce a Node build. Without it, the rebuild fetches Electron's headers (or fails saying so).
delete process.env['npm_config_nodedir'];
delete process.env['NPM_CONFIG_NODEDIR'];

const { build } = await import('electron-builder');
const { getConfig } = await import('app-builder-lib/out/util/config/load.js');
const file = await getConfig<Record<string, unknown>>({ packageKey: 'build', configFilename: 'electron-builder', projectDir: root, packageMetadata: null }, join(root, 'electron-builder.yml'));
if (!file) throw new Error('electron-builder.yml not found');
const outputs = await build({
  projectDir: staged.dir,
  publish: 'never',
  ...(args.includes('--dir') ? { dir: true } : {}),
  ...Object.fromEntries(platforms.map((p) => [p, []])),
  config: {
    ...file.result,
    directories: { ...(file.result['directories'] as object), output: join(root, 'dist', 'packages') },
    electronVersion,
    npmRebuild: true,
    // After the native rebuild and Electron's extraction, before the app's files are copied in.
    afterExtract: () => assertNativeBuiltForElectron(staged.dir),
    ...(electronDist ? { electronDist } : {}),
  },
});
process.stdout.write(`${outputs.length > 0 ? outputs.join('\n') : join(root, 'dist', 'packages')}\n`);
