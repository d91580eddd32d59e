// What the build scripts and bin/flowhost.js share: atomic writes, and the build-meta.json that lists a build's
// inputs so a later start can tell whether the build is stale.
import { existsSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Replaces `file` atomically: another process may be reading the previous build meanwhile. */
export function writeAtomic(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

/**
 * Writes `<outDir>/build-meta.json`; `inputs` are paths relative to the repository root. The file is dated when the
 * build started, so a source edited while the build ran counts as newer than the build.
 */
export function writeBuildMeta(outDir, inputs, startedAt = new Date()) {
  const file = join(outDir, 'build-meta.json');
  writeAtomic(file, `${JSON.stringify({ builtAt: startedAt.toISOString(), inputs }, null, 2)}\n`);
  utimesSync(file, startedAt, startedAt);
}

/**
 * True when `<outDir>/build-meta.json` and every file in `outputs` exist, and no input listed in the meta is
 * missing or newer than the meta file.
 */
export function isBuildFresh(root, outDir, outputs) {
  const metaFile = join(outDir, 'build-meta.json');
  if (!existsSync(metaFile) || outputs.some((name) => !existsSync(join(outDir, name)))) return false;
  const builtAt = statSync(metaFile).mtimeMs;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(metaFile, 'utf8')).inputs;
  } catch {
    return false;
  }
  if (!Array.isArray(inputs) || inputs.length === 0) return false;
  return inputs.every((input) => {
    const stat = statSync(join(root, String(input)), { throwIfNoEntry: false });
    return stat !== undefined && stat.mtimeMs <= builtAt;
  });
}
