import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import type { Configuration } from 'app-builder-lib';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { getConfig as readConfigFile } from 'app-builder-lib/out/util/config/load.js';
import { describe, expect, it } from 'vitest';
import { skipUnless } from '../../../support/requirements.js';

// Status, not just a started process: Windows answers `python3` with a Store stub that exits 9009.
const hasPython = spawnSync('python3', ['--version']).status === 0;
const root = resolve(import.meta.dirname, '../../../..');
const scheme = JSON.parse(readFileSync(join(root, 'node_modules/app-builder-lib/scheme.json'), 'utf8')) as object;

/** The file as electron-builder's own YAML reader returns it, before any merging. */
async function load(): Promise<Configuration> {
  const read = await readConfigFile<Configuration>({ packageKey: 'build', configFilename: 'electron-builder', projectDir: root, packageMetadata: null }, join(root, 'electron-builder.yml'));
  if (!read) throw new Error('electron-builder.yml not found');
  return read.result;
}

describe('electron-builder.yml', () => {
  it('validates against electron-builder’s JSON schema (ajv)', async () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const valid = ajv.validate(scheme, await load());
    expect(ajv.errors ?? [], ajv.errorsText()).toEqual([]);
    expect(valid).toBe(true);
  });

  it('passes electron-builder’s own validateConfiguration after its own merge with package.json', async () => {
    const merged = await getConfig(root, join(root, 'electron-builder.yml'), null);
    await expect(validateConfiguration(merged, { isEnabled: false, add: () => undefined } as never)).resolves.toBeUndefined();
  });

  it('is really checked: an unknown or mistyped option fails the schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    expect(ajv.validate(scheme, { asar: 'yes' })).toBe(false);
    expect(ajv.validate(scheme, { electronFuses: { runAsNodee: true } })).toBe(false);
  });

  it('sets the fuses: RunAsNode kept on for `node` flows, the rest locked down', async () => {
    const config = await load();
    expect(config.electronFuses).toEqual({
      runAsNode: true,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packs into asar, leaves the orchestrator out and targets NSIS, dmg, AppImage and deb', async () => {
    const config = await load();
    expect(config.asar).toBe(true);
    expect(config.files).toContain('!orchestrator/**');
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: false, allowElevation: true });
    expect(config.mac).toMatchObject({ target: ['dmg'], hardenedRuntime: true, extendInfo: { LSUIElement: true } });
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
  });

  it.skipIf(skipUnless(hasPython, 'python3, to parse the entitlements plist'))('names an entitlements file that is a well-formed property list', async () => {
    const config = await load();
    const file = join(root, String(config.mac?.entitlements));
    const python = spawnSync('python3', ['-c', 'import plistlib,sys,json; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))', file], { encoding: 'utf8' });
    expect(JSON.parse(python.stdout)).toEqual({
      'com.apple.security.cs.allow-jit': true,
      'com.apple.security.cs.allow-unsigned-executable-memory': true,
      'com.apple.security.cs.disable-library-validation': true,
    });
  });
});
