#!/usr/bin/env node
// Bundles the `flowhost` command (main/cli.ts) into dist/cli/ with esbuild: plain `node` then runs it without the
// tsx loader (an idle agent takes about 60 MiB instead of 90, and starts faster). npm runs this on `npm ci` (prepare);
// bin/flowhost.js uses the bundle only while build-meta.json says it is fresh, else it runs the sources through tsx.
// It never fails the install: without a bundle the command still works from source.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAtomic, writeBuildMeta } from './build-meta.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const startedAt = new Date();
const out = join(root, 'dist', 'cli');
// Loaded from node_modules at run time: native code, the orchestrator's web stack (its own lazy chunk; fastify and
// pino resolve files and workers relative to themselves) and what only the source path or the tray app uses.
// Everything else is bundled and minified: an idle agent keeps its modules' sources in memory.
const EXTERNAL = ['better-sqlite3', 'fastify', '@fastify/*', 'pino', 'pino-*', 'esbuild', 'tsx', 'electron', 'bufferutil', 'utf-8-validate'];

try {
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: { cli: join(root, 'main', 'cli.ts') },
    outdir: out,
    // Chunks stay beside cli.mjs: the service command finds bin/ from import.meta.url two levels up (the status page
    // finds its package by its package.json, at any depth).
    chunkNames: '[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    banner: { js: "import { createRequire as __flowhostCreateRequire } from 'node:module'; const require = __flowhostCreateRequire(import.meta.url);" },
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    write: false,
    logLevel: 'warning',
    absWorkingDir: root,
  });
  // Processes started from the previous build may still load its chunks lazily: new chunks get new (hashed) names,
  // the entry is replaced atomically, and old chunks are removed only once nothing recent can need them.
  const written = new Set(['build-meta.json']);
  for (const file of result.outputFiles) {
    writeAtomic(file.path, file.contents);
    written.add(relative(out, file.path));
  }
  for (const name of readdirSync(out)) {
    if (!written.has(name) && Date.now() - statSync(join(out, name)).mtimeMs > 3_600_000) rmSync(join(out, name), { force: true });
  }
  // Paths relative to the repository root, '/'-separated as esbuild gives them.
  writeBuildMeta(out, Object.keys(result.metafile.inputs), startedAt);
  console.log(`flowhost command built into ${relative(process.cwd(), out) || '.'} (${Object.keys(result.metafile.inputs).length} inputs)`);
} catch (err) {
  rmSync(join(out, 'build-meta.json'), { force: true });
  console.warn(`flowhost: building dist/cli failed, the command will run from source through tsx: ${err instanceof Error ? err.message : String(err)}`);
}
