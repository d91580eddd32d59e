import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { locateElectron } from '../../../../main/electron/electron-binary.js';
import { bundleTrayApp } from '../../../../main/electron/electron-bundle.js';

const root = resolve(import.meta.dirname, '../../../..');
const temp = () => mkdtempSync(join(tmpdir(), 'flowhost-electron-'));

describe('locateElectron', () => {
  it('reports a package whose binary was never downloaded', () => {
    expect(locateElectron(temp(), undefined)).toMatchObject({ found: false, reason: expect.stringMatching(/never downloaded/) });
  });

  it('finds dist/<path.txt>, and reports it when the file is gone', () => {
    const dir = temp();
    writeFileSync(join(dir, 'path.txt'), 'electron');
    expect(locateElectron(dir, undefined)).toMatchObject({ found: false, reason: expect.stringMatching(/binary is missing/) });
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'electron'), '');
    expect(locateElectron(dir, undefined)).toEqual({ found: true, path: join(dir, 'dist', 'electron') });
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH like the electron package', () => {
    const dist = temp();
    expect(locateElectron(temp(), dist)).toMatchObject({ found: false, reason: expect.stringMatching(/ELECTRON_OVERRIDE_DIST_PATH/) });
    writeFileSync(join(dist, 'electron'), '');
    expect(locateElectron(temp(), dist)).toEqual({ found: true, path: join(dist, 'electron') });
  });
});

describe('npm run tray without an Electron binary (real child process)', () => {
  it('exits 1 and points to electron:fetch and the headless agent, without trying a download', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'main/electron/dev-launch.ts')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: temp() },
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Cannot start the tray app: ELECTRON_OVERRIDE_DIST_PATH is set but');
    expect(r.stderr).toContain('npm run electron:fetch');
    expect(r.stderr).toContain('npx flowhost agent');
    expect(r.stdout).not.toContain('Downloading');
  });
});

describe('bundleTrayApp', () => {
  it('builds a main bundle and a preload that requires nothing but electron', async () => {
    const out = join(temp(), 'dist', 'electron');
    const bundles = await bundleTrayApp(out);
    const preload = readFileSync(bundles.preload, 'utf8');
    const required = new Set([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    expect([...required]).toEqual(['electron']);
    expect(preload).toContain('exposeInMainWorld');
    expect(readFileSync(bundles.main, 'utf8')).toMatch(/from "electron"/);
  });
});
