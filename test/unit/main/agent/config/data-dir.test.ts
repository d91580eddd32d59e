import { describe, expect, it } from 'vitest';
import { defaultDataDir, runningAsService } from '../../../../../main/agent/config/data-dir.js';

describe('default data dir per OS', () => {
  const cases: [string, Parameters<typeof defaultDataDir>[0], string][] = [
    ['linux service', { platform: 'linux', env: {}, homedir: '/root', isService: true }, '/var/lib/flowhost'],
    ['linux user, XDG', { platform: 'linux', env: { XDG_DATA_HOME: '/home/a/.data' }, homedir: '/home/a', isService: false }, '/home/a/.data/flowhost'],
    ['linux user, relative XDG ignored', { platform: 'linux', env: { XDG_DATA_HOME: 'rel' }, homedir: '/home/a', isService: false }, '/home/a/.local/share/flowhost'],
    ['linux user', { platform: 'linux', env: {}, homedir: '/home/a', isService: false }, '/home/a/.local/share/flowhost'],
    ['macOS service', { platform: 'darwin', env: {}, homedir: '/var/root', isService: true }, '/Library/Application Support/flowhost'],
    ['macOS user', { platform: 'darwin', env: {}, homedir: '/Users/a', isService: false }, '/Users/a/Library/Application Support/flowhost'],
    ['Windows service', { platform: 'win32', env: { ProgramData: 'C:\\ProgramData' }, homedir: 'C:\\Windows\\system32\\config\\systemprofile', isService: true }, 'C:\\ProgramData\\flowhost'],
    ['Windows user', { platform: 'win32', env: { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, homedir: 'C:\\Users\\a', isService: false }, 'C:\\Users\\a\\AppData\\Roaming\\flowhost'],
    ['Windows user, no APPDATA', { platform: 'win32', env: {}, homedir: 'C:\\Users\\a', isService: false }, 'C:\\Users\\a\\AppData\\Roaming\\flowhost'],
  ];
  it.each(cases)('%s', (_name, environment, expected) => {
    expect(defaultDataDir(environment)).toBe(expected);
  });

  it('knows a service account', () => {
    expect(runningAsService('linux', {}, 0)).toBe(true);
    expect(runningAsService('linux', {}, 1000)).toBe(false);
    expect(runningAsService('win32', { USERNAME: 'SYSTEM' }, undefined)).toBe(true);
    expect(runningAsService('win32', { USERNAME: 'HOST$' }, undefined)).toBe(true);
    expect(runningAsService('win32', { USERNAME: 'alice' }, undefined)).toBe(false);
  });
});
