/**
 * The generated service definitions, checked by the real tools that read them: systemd-analyze verify for the
 * unit; plutil -lint (macOS) or else Python's plistlib for the plist; Python's XML parser for WinSW's XML
 * (WinSW publishes no schema file). A missing tool skips its test and says which (an error under CI=true).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LINUX, MACOS, skipUnless } from '../../../support/requirements.js';
import { launchdPlist } from '../../../../main/agent/service/launchd-plist.js';
import type { ServiceSpec } from '../../../../main/agent/service/service-spec.js';
import { systemdUnit } from '../../../../main/agent/service/systemd-unit.js';
import { winswXml } from '../../../../main/agent/service/winsw-xml.js';
import { lookupUser } from '../../../../main/agent/process/session-user.js';

const has = (tool: string) => spawnSync(tool, ['--version'], { encoding: 'utf8' }).error === undefined;
const hasSystemdAnalyze = process.platform === 'linux' && has('systemd-analyze');
const hasPlutil = process.platform === 'darwin' && has('plutil');
// Status, not just a started process: Windows answers `python3` with a Store stub that exits 9009.
const hasPython = spawnSync('python3', ['--version'], { encoding: 'utf8' }).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'flowhost-service-files-'));
const bin = resolve(import.meta.dirname, '../../../../bin/flowhost.js');
const spec: ServiceSpec = { command: [process.execPath, bin], configFile: '/etc/flowhost/agent json.json', dataDir: '/var/lib/flowhost', stopTimeoutS: 90 };

function verifyUnit(text: string): { status: number | null; output: string } {
  const file = join(dir, 'flowhost.service');
  writeFileSync(file, text);
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

function python(script: string, file: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(skipUnless(hasSystemdAnalyze, { what: 'systemd-analyze (Debian: apt-get install systemd), to verify the systemd unit', platforms: LINUX }))('systemd unit (systemd-analyze verify; skipped where systemd-analyze is not installed)', () => {
  it('verifies without a warning, as root and with a service user', () => {
    expect(verifyUnit(systemdUnit(spec))).toEqual({ status: 0, output: '' });
    const user = lookupUser('daemon') ? 'daemon' : undefined;
    expect(user, 'Debian has a `daemon` account').toBeDefined();
    expect(verifyUnit(systemdUnit({ ...spec, user, dataDir: '/srv/flowhost', readWritePaths: ['/srv/flows'] }))).toEqual({ status: 0, output: '' });
  });

  it('is really checked: a unit whose program does not exist fails verification', () => {
    const result = verifyUnit(systemdUnit({ ...spec, command: ['/nonexistent/node', bin] }));
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('/nonexistent/node');
  });
});

const PLIST_CHECK = `
import plistlib, sys, json
with open(sys.argv[1], 'rb') as f:
    p = plistlib.load(f, fmt=plistlib.FMT_XML)
print(json.dumps(p))
`;

describe.skipIf(skipUnless(hasPlutil || hasPython, { what: 'plutil (macOS) or python3, to parse the launchd plist', requiredOn: [...LINUX, ...MACOS] }))('launchd plist (plutil -lint on macOS, else Python plistlib; skipped where neither exists)', () => {
  it('parses as an XML property list with the argv, environment and restart policy intact', () => {
    const file = join(dir, 'com.flowhost.agent.plist');
    writeFileSync(file, launchdPlist({ ...spec, user: '_flowhost', configFile: '/etc/a&b <c>.json' }));
    if (hasPlutil) {
      expect(spawnSync('plutil', ['-lint', file], { encoding: 'utf8' }).status).toBe(0);
      return;
    }
    const r = python(PLIST_CHECK, file);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      Label: 'com.flowhost.agent',
      ProgramArguments: [process.execPath, bin, 'agent', '--config', '/etc/a&b <c>.json'],
      EnvironmentVariables: { FLOWHOST_DATA_DIR: '/var/lib/flowhost' },
      UserName: '_flowhost',
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 5,
      ExitTimeOut: 90,
      Umask: 63,
      StandardOutPath: '/Library/Logs/flowhost/agent-service.log',
      StandardErrorPath: '/Library/Logs/flowhost/agent-service.log',
    });
  });
});

const WINSW_CHECK = `
import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
out = {'root': root.tag, 'children': [c.tag for c in root]}
for tag in ['id', 'executable', 'arguments', 'stoptimeout', 'startmode', 'stopparentprocessfirst']:
    out[tag] = root.findtext(tag)
out['env'] = [dict(e.attrib) for e in root.findall('env')]
out['onfailure'] = [dict(e.attrib) for e in root.findall('onfailure')]
out['username'] = root.findtext('serviceaccount/username')
print(json.dumps(out))
`;

describe.skipIf(skipUnless(hasPython, 'python3, to parse the WinSW XML'))('WinSW XML (Python xml.etree; skipped where python3 is not installed)', () => {
  it('is well-formed and holds the elements WinSW reads', () => {
    const file = join(dir, 'flowhost-service.xml');
    const winSpec: ServiceSpec = {
      command: ['C:\\Program Files\\flowhost\\node.exe', 'C:\\Program Files\\flowhost\\bin\\flowhost.js'],
      configFile: 'C:\\ProgramData\\flowhost\\a&b.json',
      dataDir: 'C:\\ProgramData\\flowhost',
      user: 'CORP\\flow<bot>',
      stopTimeoutS: 90,
    };
    writeFileSync(file, winswXml(winSpec));
    const r = python(WINSW_CHECK, file);
    expect(r.stderr).toBe('');
    const parsed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      root: 'service',
      id: 'flowhost',
      executable: 'C:\\Program Files\\flowhost\\node.exe',
      arguments: '"C:\\Program Files\\flowhost\\bin\\flowhost.js" agent --config C:\\ProgramData\\flowhost\\a&b.json',
      stoptimeout: '90 sec',
      startmode: 'Automatic',
      stopparentprocessfirst: 'true',
      env: [{ name: 'FLOWHOST_DATA_DIR', value: 'C:\\ProgramData\\flowhost' }],
      onfailure: [
        { action: 'restart', delay: '10 sec' },
        { action: 'restart', delay: '60 sec' },
      ],
      username: 'CORP\\flow<bot>',
    });
    expect(new Set(parsed['children'] as string[]).size).toBe((parsed['children'] as string[]).length - 1); // onfailure twice, the rest once
  });
});
