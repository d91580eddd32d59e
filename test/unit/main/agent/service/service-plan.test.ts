import { describe, expect, it } from 'vitest';
import { describePlan, LAUNCHD_PLIST_FILE, servicePlan, SYSTEMD_UNIT_FILE, type PlanStep } from '../../../../../main/agent/service/service-plan.js';
import { spec } from './service-fixtures.js';

const argv = (steps: readonly PlanStep[]) => steps.flatMap((s) => (s.kind === 'run' ? [[s.file, ...s.args].join(' ')] : []));
const kinds = (steps: readonly PlanStep[]) => steps.map((s) => (s.kind === 'run' ? `run ${s.file} ${s.args[0]}` : `${s.kind} ${s.path}`));

describe('servicePlan on Linux', () => {
  it('install writes the unit, reloads systemd and enables it now', () => {
    const plan = servicePlan('install', { platform: 'linux', spec: spec() });
    expect(kinds(plan.steps)).toEqual([`write ${SYSTEMD_UNIT_FILE}`, 'run systemctl daemon-reload', 'run systemctl enable']);
    expect(argv(plan.steps)).toEqual(['systemctl daemon-reload', 'systemctl enable --now flowhost.service']);
  });

  it('install creates and hands over a data dir outside StateDirectory= to the service user', () => {
    const plan = servicePlan('install', { platform: 'linux', spec: spec({ dataDir: '/srv/flowhost', user: 'flow' }) });
    expect(kinds(plan.steps)).toEqual(['mkdir /srv/flowhost', 'run chown flow', `write ${SYSTEMD_UNIT_FILE}`, 'run systemctl daemon-reload', 'run systemctl enable']);
  });

  it('uninstall disables before it removes the unit, then reloads', () => {
    const plan = servicePlan('uninstall', { platform: 'linux', spec: spec() });
    expect(kinds(plan.steps)).toEqual(['run systemctl disable', `remove ${SYSTEMD_UNIT_FILE}`, 'run systemctl daemon-reload']);
    expect(plan.steps[0]).toMatchObject({ tolerateFailure: true });
  });

  it('status asks systemctl and tolerates its non-zero exit for a stopped unit', () => {
    expect(servicePlan('status', { platform: 'linux', spec: spec() }).steps).toEqual([{ kind: 'run', file: 'systemctl', args: ['status', 'flowhost.service', '--no-pager'], tolerateFailure: true }]);
  });
});

describe('servicePlan on macOS and Windows', () => {
  it('macOS install boots out an old copy, writes the plist, bootstraps and enables it', () => {
    const plan = servicePlan('install', { platform: 'darwin', spec: spec({ dataDir: '/Library/Application Support/flowhost' }) });
    expect(argv(plan.steps)).toEqual([
      'launchctl bootout system/com.flowhost.agent',
      `launchctl bootstrap system ${LAUNCHD_PLIST_FILE}`,
      'launchctl enable system/com.flowhost.agent',
    ]);
    expect(plan.steps.find((s) => s.kind === 'write')).toMatchObject({ path: LAUNCHD_PLIST_FILE, mode: 0o644 });
  });

  it('Windows install writes the XML in the data dir and runs WinSW install and start with it', () => {
    const plan = servicePlan('install', { platform: 'win32', spec: spec({ dataDir: 'C:\\ProgramData\\flowhost' }), winswExe: 'C:\\tools\\winsw.exe' });
    expect(argv(plan.steps)).toEqual([
      'C:\\tools\\winsw.exe install C:\\ProgramData\\flowhost\\service\\flowhost-service.xml',
      'C:\\tools\\winsw.exe start C:\\ProgramData\\flowhost\\service\\flowhost-service.xml',
    ]);
  });
});

describe('describePlan', () => {
  it('prints every file with its content and every command as an argv array', () => {
    const text = describePlan(servicePlan('install', { platform: 'linux', spec: spec() }));
    expect(text).toContain(`write ${SYSTEMD_UNIT_FILE} (mode 644):`);
    expect(text).toContain('ExecStart=/usr/bin/node /opt/flowhost/bin/flowhost.js agent --config /etc/flowhost/agent.json');
    expect(text).toContain('run ["systemctl","enable","--now","flowhost.service"]');
  });
});
