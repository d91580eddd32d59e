import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

/**
 * Bundles test/bench/agent-main.ts into one ESM file run by plain `node` (no tsx loader thread, no per-module
 * transform): what a build step would ship. Native and dynamically loaded packages stay external.
 */
export async function bundleAgentMain(): Promise<string> {
  // Under node_modules/.cache so the external packages resolve from the project's node_modules.
  const out = fileURLToPath(new URL('../../../node_modules/.cache/flowhost-bench/agent-main.mjs', import.meta.url));
  await build({
    entryPoints: [fileURLToPath(new URL('../agent-main.ts', import.meta.url))],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return out;
}
