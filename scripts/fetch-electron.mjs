#!/usr/bin/env node
// Downloads Electron's binary for the tray app. `npm ci` never does this (package.json allowScripts denies electron's
// install script), so installs work on machines that cannot reach Electron's download host; the headless agent needs no
// Electron at all.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const electronDir = dirname(require.resolve('electron/package.json'));
const pathFile = join(electronDir, 'path.txt');

if (existsSync(pathFile)) {
  console.log(`Electron binary already present (${electronDir}).`);
  process.exit(0);
}
const result = spawnSync(process.execPath, [join(electronDir, 'install.js')], { stdio: 'inherit' });
if (result.status !== 0 || !existsSync(pathFile)) {
  console.error(
    '\nCould not download the Electron binary (no access to its download host?).\n' +
      'The tray app needs it; everything else does not. Run the agent headless instead:\n' +
      '  npx flowhost agent --help\n' +
      'or set ELECTRON_MIRROR / ELECTRON_CUSTOM_DIR to a reachable mirror and run `npm run electron:fetch` again.',
  );
  process.exit(1);
}
console.log('Electron binary installed.');
