import { posix, win32 } from 'node:path';
import { launchdPlist, LAUNCHD_LOG } from './launchd-plist.js';
import { LAUNCHD_LABEL, SERVICE_NAME, type ServiceSpec } from './service-spec.js';
import { SYSTEMD_STATE_DIR, systemdUnit } from './systemd-unit.js';
import { winswXml } from './winsw-xml.js';

export type ServiceAction = 'install' | 'uninstall' | 'status';
export type ServicePlatform = 'linux' | 'darwin' | 'win32';

export interface PlannedCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** A failure is reported but the plan goes on (e.g. disabling a unit that is not loaded). */
  readonly tolerateFailure?: boolean;
}

export type PlanStep =
  | { readonly kind: 'mkdir'; readonly path: string; readonly mode: number }
  | { readonly kind: 'write'; readonly path: string; readonly content: string; readonly mode: number }
  | { readonly kind: 'remove'; readonly path: string }
  | ({ readonly kind: 'run' } & PlannedCommand);

/** Everything an action does, in order, as data: `--dry-run` prints it, applyPlan carries it out. */
export interface ServicePlan {
  readonly action: ServiceAction;
  readonly platform: ServicePlatform;
  readonly steps: readonly PlanStep[];
}

export interface PlanInputs {
  readonly platform: ServicePlatform;
  readonly spec: ServiceSpec;
  /** Windows: the WinSW executable (v3, takes the XML path); default flowhost-service.exe beside the XML. */
  readonly winswExe?: string;
}

export const SYSTEMD_UNIT_FILE = `/etc/systemd/system/${SERVICE_NAME}.service`;
export const LAUNCHD_PLIST_FILE = `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`;
export const winswDir = (dataDir: string) => win32.join(dataDir, 'service');

export function servicePlan(action: ServiceAction, inputs: PlanInputs): ServicePlan {
  const steps = (() => {
    switch (inputs.platform) {
      case 'linux':
        return systemdSteps(action, inputs.spec);
      case 'darwin':
        return launchdSteps(action, inputs.spec);
      case 'win32':
        return winswSteps(action, inputs);
    }
  })();
  return { action, platform: inputs.platform, steps };
}

const run = (file: string, args: string[], tolerateFailure = false): PlanStep => ({ kind: 'run', file, args, ...(tolerateFailure ? { tolerateFailure } : {}) });

function systemdSteps(action: ServiceAction, spec: ServiceSpec): PlanStep[] {
  const unit = `${SERVICE_NAME}.service`;
  if (action === 'status') return [run('systemctl', ['status', unit, '--no-pager'], true)];
  if (action === 'uninstall') {
    return [run('systemctl', ['disable', '--now', unit], true), { kind: 'remove', path: SYSTEMD_UNIT_FILE }, run('systemctl', ['daemon-reload'])];
  }
  // A data dir outside StateDirectory= must exist before start (ReadWritePaths=) and belong to the service user.
  const custom = posix.normalize(spec.dataDir) !== SYSTEMD_STATE_DIR;
  return [
    ...(custom ? [{ kind: 'mkdir', path: spec.dataDir, mode: 0o700 } as const] : []),
    ...(custom && spec.user !== undefined ? [run('chown', [spec.user, spec.dataDir])] : []),
    { kind: 'write', path: SYSTEMD_UNIT_FILE, content: systemdUnit(spec), mode: 0o644 },
    run('systemctl', ['daemon-reload']),
    run('systemctl', ['enable', '--now', unit]),
  ];
}

function launchdSteps(action: ServiceAction, spec: ServiceSpec): PlanStep[] {
  const target = `system/${LAUNCHD_LABEL}`;
  if (action === 'status') return [run('launchctl', ['print', target], true)];
  if (action === 'uninstall') return [run('launchctl', ['bootout', target], true), { kind: 'remove', path: LAUNCHD_PLIST_FILE }];
  return [
    { kind: 'mkdir', path: spec.dataDir, mode: 0o700 },
    { kind: 'mkdir', path: posix.dirname(LAUNCHD_LOG), mode: 0o755 },
    ...(spec.user === undefined ? [] : [run('chown', [spec.user, spec.dataDir])]),
    // A service left from an earlier install is booted out first: bootstrap refuses a loaded label.
    run('launchctl', ['bootout', target], true),
    { kind: 'write', path: LAUNCHD_PLIST_FILE, content: launchdPlist(spec), mode: 0o644 },
    run('launchctl', ['bootstrap', 'system', LAUNCHD_PLIST_FILE]),
    run('launchctl', ['enable', target]),
  ];
}

function winswSteps(action: ServiceAction, inputs: PlanInputs): PlanStep[] {
  const dir = winswDir(inputs.spec.dataDir);
  const xml = win32.join(dir, `${SERVICE_NAME}-service.xml`);
  const exe = inputs.winswExe ?? win32.join(dir, `${SERVICE_NAME}-service.exe`);
  if (action === 'status') return [run(exe, ['status', xml], true)];
  if (action === 'uninstall') return [run(exe, ['stop', xml], true), run(exe, ['uninstall', xml]), { kind: 'remove', path: xml }];
  return [
    { kind: 'mkdir', path: dir, mode: 0o700 },
    { kind: 'write', path: xml, content: winswXml(inputs.spec), mode: 0o644 },
    run(exe, ['install', xml]),
    run(exe, ['start', xml]),
  ];
}

/** The plan as text, for `--dry-run`: each file with its content, each command as its argv. */
export function describePlan(plan: ServicePlan): string {
  const out: string[] = [`# flowhost service ${plan.action} (${plan.platform}) would, in order:`];
  for (const s of plan.steps) {
    if (s.kind === 'mkdir') out.push(`create folder ${s.path} (mode ${s.mode.toString(8)})`);
    else if (s.kind === 'write') out.push(`write ${s.path} (mode ${s.mode.toString(8)}):`, '-----', s.content.trimEnd(), '-----');
    else if (s.kind === 'remove') out.push(`remove ${s.path}`);
    else out.push(`run ${JSON.stringify([s.file, ...s.args])}${s.tolerateFailure ? ' (a failure is tolerated)' : ''}`);
  }
  return `${out.join('\n')}\n`;
}
