import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBuildFresh, writeBuildMeta } from '../../../scripts/build-meta.mjs';
import { tempDir } from '../../support/temp-dir.js';

/** A repository with two sources and a build of them in out/, the meta written after both sources. */
function builtRepo(): { root: string; out: string } {
  const root = tempDir();
  const out = join(root, 'out');
  mkdirSync(join(root, 'src'));
  mkdirSync(out);
  writeFileSync(join(root, 'src', 'a.ts'), 'a');
  writeFileSync(join(root, 'src', 'b.ts'), 'b');
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(root, 'src', 'a.ts'), past, past);
  utimesSync(join(root, 'src', 'b.ts'), past, past);
  writeFileSync(join(out, 'cli.mjs'), '');
  writeBuildMeta(out, ['src/a.ts', 'src/b.ts']);
  return { root, out };
}

describe('build meta: is a build fresh?', () => {
  it('is fresh when every input is older than the meta and the outputs exist', () => {
    const { root, out } = builtRepo();
    expect(isBuildFresh(root, out, ['cli.mjs'])).toBe(true);
  });

  it('is stale when an input was edited after the build', () => {
    const { root, out } = builtRepo();
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src', 'b.ts'), later, later);
    expect(isBuildFresh(root, out, ['cli.mjs'])).toBe(false);
  });

  it('is stale when an input is gone, an output is missing, or the meta is missing or unreadable', () => {
    const gone = builtRepo();
    rmSync(join(gone.root, 'src', 'a.ts'));
    expect(isBuildFresh(gone.root, gone.out, ['cli.mjs'])).toBe(false);

    const noOutput = builtRepo();
    expect(isBuildFresh(noOutput.root, noOutput.out, ['cli.mjs', 'other.mjs'])).toBe(false);

    const noMeta = builtRepo();
    rmSync(join(noMeta.out, 'build-meta.json'));
    expect(isBuildFresh(noMeta.root, noMeta.out, ['cli.mjs'])).toBe(false);

    const badMeta = builtRepo();
    writeFileSync(join(badMeta.out, 'build-meta.json'), '{"inputs": ');
    expect(isBuildFresh(badMeta.root, badMeta.out, ['cli.mjs'])).toBe(false);

    const noInputs = builtRepo();
    writeBuildMeta(noInputs.out, []);
    expect(isBuildFresh(noInputs.root, noInputs.out, ['cli.mjs'])).toBe(false);
  });
});
