// `npm run tray`: builds the tray app's main process and preload bundles and starts them in Electron. Imports no
// electron (the binary may be missing); says clearly what to do when it is.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateElectron, missingElectronMessage } from './electron-binary.js';
import { bundleTrayApp } from './electron-bundle.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = join(root, 'dist', 'electron');
const require = createRequire(import.meta.url);

const lookup = locateElectron(dirname(require.resolve('electron/package.json')), process.env['ELECTRON_OVERRIDE_DIST_PATH']);
if (!lookup.found) {
  process.stderr.write(missingElectronMessage(lookup.reason));
  process.exit(1);
}

const bundles = await bundleTrayApp(out);

const child = spawn(lookup.path, [bundles.main, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, FLOWHOST_PRELOAD: bundles.preload } });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
