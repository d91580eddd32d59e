import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServiceInputError, serviceSpecFrom, type ServiceRequest } from '../../../../../main/agent/service/service-inputs.js';
import { serviceArgv } from '../../../../../main/agent/service/service-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'flowhost-service-inputs-'));
const request = (over: Partial<ServiceRequest> = {}): ServiceRequest => ({
  platform: 'linux',
  command: ['/usr/bin/node', '/opt/flowhost/bin/flowhost.js'],
  cwd: dir,
  env: {},
  homedir: '/home/someone',
  userExists: (u) => u === 'flow',
  ...over,
});

describe('serviceSpecFrom', () => {
  it('uses the machine-wide data dir of each OS when the config file sets none', () => {
    expect(serviceSpecFrom(request()).dataDir).toBe('/var/lib/flowhost');
    expect(serviceSpecFrom(request({ platform: 'darwin' })).dataDir).toBe('/Library/Application Support/flowhost');
    expect(serviceSpecFrom(request({ platform: 'win32', env: { ProgramData: 'D:\\PD' } })).dataDir).toBe('D:\\PD\\flowhost');
  });

  it('reads and checks the config file now, takes its dataDir, and stores its absolute path', () => {
    writeFileSync(join(dir, 'agent.json'), JSON.stringify({ schemaversion: 1, dataDir: '/srv/flowhost', capacity: 2 }));
    const spec = serviceSpecFrom(request({ configFile: 'agent.json' }));
    expect(spec.configFile).toBe(join(dir, 'agent.json'));
    expect(spec.dataDir).toBe('/srv/flowhost');
  });

  it('refuses a bad config file with the reason', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ schemaversion: 1, capacity: 0 }));
    expect(() => serviceSpecFrom(request({ configFile: 'bad.json' }))).toThrow(ServiceInputError);
    expect(() => serviceSpecFrom(request({ configFile: 'missing.json' }))).toThrow(/cannot read config file/);
  });

  it('checks the user: must exist, must be a valid name, root is the default', () => {
    expect(serviceSpecFrom(request({ user: 'flow' })).user).toBe('flow');
    expect(() => serviceSpecFrom(request({ user: 'nobody-here' }))).toThrow(/no such user 'nobody-here'/);
    expect(() => serviceSpecFrom(request({ user: 'a b' }))).toThrow(/not a valid user name/);
    expect(() => serviceSpecFrom(request({ user: 'root', userExists: () => true }))).toThrow(/leave --user out/);
  });

  it('refuses an unsupported OS and a relative command', () => {
    expect(() => serviceSpecFrom(request({ platform: 'freebsd' }))).toThrow(/not freebsd/);
    expect(() => serviceSpecFrom(request({ command: ['node', 'bin/flowhost.js'] }))).toThrow(/absolute/);
    expect(() => serviceSpecFrom(request({ command: ['--flowhost-cli'] }))).toThrow(/absolute executable/);
  });

  it('takes the packaged app with its --flowhost-cli flag as the command', () => {
    const spec = serviceSpecFrom(request({ command: ['/opt/flowhost/flowhost', '--flowhost-cli'] }));
    expect(serviceArgv(spec)).toEqual(['/opt/flowhost/flowhost', '--flowhost-cli', 'agent']);
  });

  it('makes extra read-write folders absolute', () => {
    expect(serviceSpecFrom(request({ readWritePaths: ['flows'] })).readWritePaths).toEqual([join(dir, 'flows')]);
  });
});
