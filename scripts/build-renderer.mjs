#!/usr/bin/env node
// Builds the status window (renderer/) into renderer/dist/: app.js (one bundle, no eval, so the page's strict
// CSP holds), app.css and index.html, plus build-meta.json listing every input so a later start can tell whether the
// build is stale. The agent's status server runs this on demand; run it by hand only to look at the output.
import { build } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAtomic, writeBuildMeta } from './build-meta.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const startedAt = new Date();
const src = join(root, 'renderer');
const out = join(src, 'dist');

mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [join(src, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari17'],
  tsconfig: join(src, 'tsconfig.json'),
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  write: false,
  logLevel: 'warning',
  absWorkingDir: root,
});
for (const file of result.outputFiles) writeAtomic(file.path, file.contents);
const statics = ['index.html', 'styles.css', 'icon.svg'];
for (const name of statics) writeAtomic(join(out, name), readFileSync(join(src, name)));
const inputs = [...Object.keys(result.metafile.inputs), ...statics.map((name) => relative(root, join(src, name)))];
writeBuildMeta(out, inputs, startedAt);
console.log(`renderer built into ${relative(process.cwd(), out) || '.'} (${inputs.length} inputs)`);
