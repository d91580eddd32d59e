import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the package a module ships in: the nearest one above `module` (its `import.meta.url`, or a path)
 * whose package.json is named `name`. The same module sits at different depths below it in the sources
 * (`main/agent/status/`), the CLI bundle (`dist/cli/`) and the tray app (`dist/electron/` in the app folder), so
 * nothing counts levels.
 */
export function findPackageRoot(module: string | URL, name = 'flowhost'): string {
  const file = module instanceof URL || module.startsWith('file:') ? fileURLToPath(module) : module;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (packageName(join(dir, 'package.json')) === name) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json named ${name} in a folder above ${file}`);
  }
}

function packageName(file: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // absent or not JSON: not the package's root
  }
  const name = typeof parsed === 'object' && parsed !== null ? (parsed as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}
