import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findPackageRoot } from '../../../../../main/agent/status/package-root.js';
import { StatusAssets } from '../../../../../main/agent/status/status-assets.js';
import { tempDir } from '../../../../support/temp-dir.js';

const repo = resolve(import.meta.dirname, '../../../../..');

describe('findPackageRoot', () => {
  it('finds the repository from a module of the sources, by URL or by path', () => {
    const module = join(repo, 'main/agent/status/status-assets.ts');
    expect(findPackageRoot(pathToFileURL(module).href)).toBe(repo);
    expect(findPackageRoot(module)).toBe(repo);
  });

  it('walks up any number of folders and passes package.json files of other packages', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'flowhost' }));
    mkdirSync(join(dir, 'dist/cli/deeper'), { recursive: true });
    writeFileSync(join(dir, 'dist/package.json'), JSON.stringify({ name: 'something-else' }));
    writeFileSync(join(dir, 'dist/cli/package.json'), '{ not json');
    expect(findPackageRoot(join(dir, 'dist/cli/chunk.mjs'))).toBe(dir);
    expect(findPackageRoot(pathToFileURL(join(dir, 'dist/cli/deeper/chunk.mjs')))).toBe(dir);
  });

  it('says so when no folder above holds the package', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'flowhost-fork' }));
    expect(() => findPackageRoot(join(dir, 'main.mjs'), 'flowhost-not-installed-anywhere')).toThrow(/no package\.json named flowhost-not-installed-anywhere/);
  });
});

describe('StatusAssets without a root', () => {
  it('serves the built page of the package its module is in', async () => {
    const assets = new StatusAssets();
    await assets.ensureBuilt();
    const page = assets.get('/');
    expect(page?.type).toBe('text/html; charset=utf-8');
    expect(page?.body.toString('utf8')).toContain('app.js');
  });
});
