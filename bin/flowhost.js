#!/usr/bin/env node
// Runs the bundle that `npm ci` built into dist/cli/ (scripts/build-cli.mjs) while it is fresh: plain node, no loader.
// Otherwise (sources edited since, no build, FLOWHOST_FROM_SOURCE=1) it runs the TypeScript sources through tsx.
import { fileURLToPath } from 'node:url';
import { isBuildFresh } from '../scripts/build-meta.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundleDir = fileURLToPath(new URL('../dist/cli/', import.meta.url));

if (process.env.FLOWHOST_FROM_SOURCE !== '1' && isBuildFresh(root, bundleDir, ['cli.mjs'])) {
  await import('../dist/cli/cli.mjs');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../main/cli.ts');
}
