import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

export interface TrayBundles {
  readonly main: string;
  readonly preload: string;
  /** The source files (repository-relative) bundled into main and preload: what the app ships of the repository. */
  readonly inputs: readonly string[];
}

/**
 * Bundles the tray app into `outDir`: the main process as ESM with its packages left in node_modules, and the
 * preload as one CommonJS file that requires nothing but `electron` (a sandboxed preload cannot load modules).
 * `outDir` must sit two levels below the repository root (main.ts finds assets/ and renderer/ from there).
 */
export async function bundleTrayApp(outDir: string): Promise<TrayBundles> {
  const { build } = await import('esbuild');
  const files = { main: join(outDir, 'main.mjs'), preload: join(outDir, 'preload.cjs') };
  const common = {
    bundle: true,
    platform: 'node',
    external: ['electron'],
    logLevel: 'warning',
    legalComments: 'none',
    metafile: true,
    absWorkingDir: root,
  } satisfies import('esbuild').BuildOptions;
  const main = await build({ ...common, entryPoints: [join(here, 'main.ts')], outfile: files.main, format: 'esm', packages: 'external' });
  const preload = await build({ ...common, entryPoints: [join(here, 'preload.ts')], outfile: files.preload, format: 'cjs' });
  const inputs = [...new Set([...Object.keys(main.metafile.inputs), ...Object.keys(preload.metafile.inputs)])].sort();
  return { ...files, inputs };
}
