import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface TrayBundles {
  readonly main: string;
  readonly preload: string;
}

/**
 * Bundles the tray app into `outDir`: the main process as ESM with its packages left in node_modules, and the
 * preload as one CommonJS file that requires nothing but `electron` (a sandboxed preload cannot load modules).
 * `outDir` must sit two levels below the repository root (main.ts finds assets/ and renderer/ from there).
 */
export async function bundleTrayApp(outDir: string): Promise<TrayBundles> {
  const { build } = await import('esbuild');
  const bundles = { main: join(outDir, 'main.mjs'), preload: join(outDir, 'preload.cjs') };
  const common = { bundle: true, platform: 'node', external: ['electron'], logLevel: 'warning', legalComments: 'none' } satisfies import('esbuild').BuildOptions;
  await build({ ...common, entryPoints: [join(here, 'main.ts')], outfile: bundles.main, format: 'esm', packages: 'external' });
  await build({ ...common, entryPoints: [join(here, 'preload.ts')], outfile: bundles.preload, format: 'cjs' });
  return bundles;
}
