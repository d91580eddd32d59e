import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ElectronLookup = { readonly found: true; readonly path: string } | { readonly found: false; readonly reason: string };

/**
 * Finds the Electron executable the way the `electron` package does (path.txt → dist/, or
 * ELECTRON_OVERRIDE_DIST_PATH), but never starts its download: a missing binary is reported, not fetched.
 */
export function locateElectron(electronDir: string, overrideDist: string | undefined): ElectronLookup {
  const pathFile = join(electronDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  if (overrideDist) {
    const path = join(overrideDist, relative || 'electron');
    return existsSync(path) ? { found: true, path } : { found: false, reason: `ELECTRON_OVERRIDE_DIST_PATH is set but ${path} does not exist` };
  }
  if (!relative) return { found: false, reason: `the Electron binary was never downloaded (${pathFile} is missing)` };
  const path = join(electronDir, 'dist', relative);
  return existsSync(path) ? { found: true, path } : { found: false, reason: `the Electron binary is missing (${path})` };
}

export function missingElectronMessage(reason: string): string {
  return [
    `Cannot start the tray app: ${reason}.`,
    '`npm ci` does not download Electron. Fetch it with:',
    '  npm run electron:fetch',
    'or run the agent headless, which needs no Electron:',
    '  npx flowhost agent --help',
    '',
  ].join('\n');
}
