import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { POSIX, skipUnlessOn } from '../../../../support/requirements.js';
import { ConfigError, loadAgentConfig } from '../../../../../main/agent/config/load.js';
import { migrateConfig } from '../../../../../main/agent/config/migrate.js';
import { readFileSettings, readSecretFile } from '../../../../../main/agent/config/file-settings.js';
import { Readable } from 'node:stream';

const defaults = { name: 'host-1', dataDir: '/default/data' };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowhost-config-'));
  dirs.push(dir);
  const file = join(dir, 'agent.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('agent config precedence: flags > env > file > defaults', () => {
  it('uses the defaults when nothing is given', () => {
    const c = loadAgentConfig({ flags: {}, env: {}, defaults, cwd: '/' });
    expect(c).toEqual({ name: 'host-1', dataDir: '/default/data', capacity: 1, sessionUsers: [], attended: false, sampleIntervalMs: 1000, callbackAllow: [], logLevel: 'info' });
  });

  it('layers file, env and flags key by key', () => {
    const file = configFile({ schemaversion: 1, orchestrator: 'http://file:1', group: 'g-file', capacity: 2, name: 'from-file', attended: true, callbackAllow: ['a.example'] });
    const c = loadAgentConfig({
      flags: { capacity: 4 },
      env: { FLOWHOST_CONFIG: file, FLOWHOST_CAPACITY: '3', FLOWHOST_GROUP: 'g-env', FLOWHOST_SESSION_USER: 'alice, bob', FLOWHOST_ATTENDED: 'false' },
      defaults,
      cwd: '/',
    });
    expect(c.capacity).toBe(4);
    expect(c.group).toBe('g-env');
    expect(c.orchestrator).toBe('http://file:1');
    expect(c.name).toBe('from-file');
    expect(c.sessionUsers).toEqual(['alice', 'bob']);
    expect(c.attended).toBe(false);
    expect(c.callbackAllow).toEqual(['a.example']);
  });

  it('--config wins over FLOWHOST_CONFIG and a relative dataDir in the file is taken from its folder', () => {
    const fileA = configFile({ schemaversion: 1, dataDir: 'data' });
    const fileB = configFile({ schemaversion: 1, capacity: 9 });
    const c = loadAgentConfig({ flags: {}, configPath: fileA, env: { FLOWHOST_CONFIG: fileB }, defaults, cwd: '/' });
    expect(c.capacity).toBe(1);
    expect(c.dataDir).toBe(join(fileA, '..', 'data'));
  });
});

describe('agent config errors name the bad key', () => {
  const load = (env: Record<string, string>, flags = {}) => () => loadAgentConfig({ flags, env, defaults, cwd: '/' });

  it('refuses an unknown key in the file', () => {
    const file = configFile({ schemaversion: 1, capacity: 1, capacityy: 2 });
    expect(load({ FLOWHOST_CONFIG: file })).toThrow(ConfigError);
    expect(load({ FLOWHOST_CONFIG: file })).toThrow(/unknown property 'capacityy'/);
  });

  it('names a key of the wrong type in the file', () => {
    const file = configFile({ schemaversion: 1, capacity: 'two' });
    expect(load({ FLOWHOST_CONFIG: file })).toThrow(/capacity must be integer/);
  });

  it('takes the instances of one orchestrator as a list, and names a list entry that is not http(s)', () => {
    expect(load({ FLOWHOST_ORCHESTRATOR: 'http://a:1, https://b:2/base' })().orchestrator).toBe('http://a:1, https://b:2/base');
    expect(load({ FLOWHOST_ORCHESTRATOR: 'http://a:1,ftp://b' })).toThrow(/FLOWHOST_ORCHESTRATOR must match pattern/);
  });

  it('names a value out of range after the merge', () => {
    expect(load({}, { capacity: 0 })).toThrow(/capacity must be >= 1/);
  });

  it('names the env variable with a bad value', () => {
    expect(load({ FLOWHOST_CAPACITY: 'abc' })).toThrow(/FLOWHOST_CAPACITY must be an integer, got 'abc'/);
    expect(load({ FLOWHOST_ATTENDED: 'maybe' })).toThrow(/FLOWHOST_ATTENDED must be true or false/);
    expect(load({ FLOWHOST_LOG_LEVEL: 'loud' })).toThrow(/FLOWHOST_LOG_LEVEL/);
  });

  it('says which file is not JSON, not readable, or lacks schemaversion', () => {
    expect(load({ FLOWHOST_CONFIG: configFile('{ nope') })).toThrow(/is not valid JSON/);
    expect(load({ FLOWHOST_CONFIG: '/does/not/exist.json' })).toThrow(/cannot read config file \/does\/not\/exist\.json/);
    expect(load({ FLOWHOST_CONFIG: configFile({ capacity: 1 }) })).toThrow(/schemaversion/);
    expect(load({ FLOWHOST_CONFIG: configFile({ schemaversion: 7 }) })).toThrow(/newer than this agent understands/);
  });
});

describe('config migration', () => {
  it('runs the pure steps in order up to the target version', () => {
    const steps = { 1: (c: Record<string, unknown>) => ({ ...c, schemaversion: 2, b: c['a'] }), 2: (c: Record<string, unknown>) => ({ ...c, schemaversion: 3 }) };
    const input = { schemaversion: 1, a: 5 };
    expect(migrateConfig(input, 3, steps)).toEqual({ schemaversion: 3, a: 5, b: 5 });
    expect(input).toEqual({ schemaversion: 1, a: 5 });
  });

  it('refuses a step that does not bump the version, and a missing step', () => {
    expect(() => migrateConfig({ schemaversion: 1 }, 2, { 1: (c) => c })).toThrow(/did not produce 2/);
    expect(() => migrateConfig({ schemaversion: 1 }, 2, {})).toThrow(/no migration from schemaversion 1/);
  });

  it('leaves a current file as it is', () => {
    expect(migrateConfig({ schemaversion: 1, capacity: 2 })).toEqual({ schemaversion: 1, capacity: 2 });
  });
});

describe('agent config: the group password and the files settings name', () => {
  const load = (o: { flags?: Record<string, unknown>; env?: Record<string, string> }) => {
    const warnings: string[] = [];
    const config = loadAgentConfig({ flags: o.flags ?? {}, env: o.env ?? {}, defaults, cwd: '/work', warn: (m) => warnings.push(m) });
    return { config, warnings };
  };

  it('takes the password or its file from the highest source that gives either, and paths from the cwd or the file folder', () => {
    const file = configFile({ schemaversion: 1, groupPassword: 'from-file', orchestratorCa: 'ca.pem' });
    expect(load({ env: { FLOWHOST_CONFIG: file, FLOWHOST_GROUP_PASSWORD_FILE: 'pw' } }).config).toMatchObject({ groupPasswordFile: '/work/pw', orchestratorCa: join(file, '..', 'ca.pem') });
    expect(load({ env: { FLOWHOST_CONFIG: file, FLOWHOST_GROUP_PASSWORD_FILE: 'pw' } }).config.groupPassword).toBeUndefined();
    expect(load({ flags: { groupPasswordFile: '-' }, env: { FLOWHOST_GROUP_PASSWORD: 'env' } }).config).toMatchObject({ groupPasswordFile: '-' });
    expect(load({ flags: { groupPassword: 'flag' }, env: { FLOWHOST_GROUP_PASSWORD_FILE: '/pw' } }).config).toMatchObject({ groupPassword: 'flag' });
    expect(() => load({ flags: { groupPassword: 'a', groupPasswordFile: '/pw' } })).toThrow(/the command line gives both groupPassword and groupPasswordFile/);
  });

  it.skipIf(skipUnlessOn(POSIX, 'POSIX file modes'))('warns, without the value, of a password on the command line and of a config file holding it that others may read', () => {
    expect(load({ flags: { groupPassword: 'hunter2-secret' } }).warnings).toEqual([expect.stringMatching(/command line \(--group-password\)/)]);
    expect(load({ flags: { groupPassword: 'hunter2-secret' } }).warnings.join()).not.toContain('hunter2-secret');
    const file = configFile({ schemaversion: 1, groupPassword: 'in-file' });
    chmodSync(file, 0o640);
    expect(load({ env: { FLOWHOST_CONFIG: file } }).warnings).toEqual([`config file ${file} holds the group password and may be read by group or others (mode 0640); chmod 600 it, or keep the password in a groupPasswordFile`]);
    chmodSync(file, 0o600);
    expect(load({ env: { FLOWHOST_CONFIG: file } }).warnings).toEqual([]);
    const plain = configFile({ schemaversion: 1, capacity: 2 });
    chmodSync(plain, 0o644);
    expect(load({ env: { FLOWHOST_CONFIG: plain } }).warnings).toEqual([]);
  });
});

describe('secret files', () => {
  it("reads a file or stdin ('-') without the trailing line break; an empty, missing or oversize one is a ConfigError naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowhost-secret-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'pw'), 'p4ss word\r\n');
    expect(await readSecretFile(join(dir, 'pw'), 'the group password file')).toBe('p4ss word');
    expect(await readSecretFile('-', 'the group password file', Readable.from(['from-', 'stdin\n']))).toBe('from-stdin');
    writeFileSync(join(dir, 'empty'), '\n');
    await expect(readSecretFile(join(dir, 'empty'), 'the group password file')).rejects.toThrow(`the group password file ${join(dir, 'empty')} is empty`);
    await expect(readSecretFile(join(dir, 'nope'), 'the group password file')).rejects.toThrow(ConfigError);
    await expect(readSecretFile(dir, 'the group password file')).rejects.toThrow(/EISDIR/);
    const warnings: string[] = [];
    chmodSync(join(dir, 'pw'), 0o604);
    const config = await readFileSettings({ ...loadAgentConfig({ flags: { groupPasswordFile: join(dir, 'pw') }, env: {}, defaults, cwd: '/' }) }, { warn: (m) => warnings.push(m) });
    expect(config).toMatchObject({ groupPassword: 'p4ss word' });
    expect(config.groupPasswordFile).toBeUndefined();
    if (process.platform !== 'win32') expect(warnings).toEqual([`the group password file ${join(dir, 'pw')} may be read by group or others (mode 0604); chmod 600 it`]);
    writeFileSync(join(dir, 'big'), 'x'.repeat(300 * 1024));
    await expect(readSecretFile(join(dir, 'big'), 'the group password file')).rejects.toThrow(/longer than/);
  });
});

describe('agent config: virtual displays', () => {
  it('takes the mode, size and depth from any source, and refuses what Xvfb cannot serve with a message naming the bounds', () => {
    const file = configFile({ schemaversion: 1, virtualDisplay: 'on', displaySize: '1920x1080' });
    const c = loadAgentConfig({ flags: {}, env: { FLOWHOST_CONFIG: file, FLOWHOST_DISPLAY_DEPTH: '16' }, defaults, cwd: '/' });
    expect(c).toMatchObject({ virtualDisplay: 'on', displaySize: '1920x1080', displayDepth: 16 });
    const load = (env: Record<string, string>) => () => loadAgentConfig({ flags: {}, env, defaults, cwd: '/' });
    expect(load({ FLOWHOST_VIRTUAL_DISPLAY: 'sometimes' })).toThrow(ConfigError);
    expect(load({ FLOWHOST_DISPLAY_DEPTH: '32' })).toThrow(ConfigError);
    expect(load({ FLOWHOST_DISPLAY_SIZE: '1920*1080' })).toThrow(ConfigError);
    expect(load({ FLOWHOST_DISPLAY_SIZE: '99999x99999' })).toThrow(/between 320x200 and 8192x8192/);
    expect(load({ FLOWHOST_DISPLAY_SIZE: '100x100' })).toThrow(/between 320x200 and 8192x8192/);
  });
});
