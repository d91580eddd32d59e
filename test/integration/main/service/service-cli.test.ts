import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../../../main/agent/service/service-apply.js';
import type { ServicePlan } from '../../../../main/agent/service/service-plan.js';

const root = resolve(import.meta.dirname, '../../../..');
const dir = mkdtempSync(join(tmpdir(), 'flowhost-service-cli-'));

function flowhost(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/flowhost.js'), ...args], { encoding: 'utf8', cwd: dir, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('flowhost service (real CLI in a child process)', () => {
  it('install --dry-run prints the unit with this Node and this checkout, and the systemctl argv, changing nothing', () => {
    writeFileSync(join(dir, 'agent.json'), JSON.stringify({ schemaversion: 1, capacity: 2 }));
    const r = flowhost('service', 'install', '--dry-run', '--platform', 'linux', '--config', 'agent.json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`ExecStart=${process.execPath} ${join(root, 'bin/flowhost.js')} agent --config ${join(dir, 'agent.json')}`);
    expect(r.stdout).toContain('run ["systemctl","enable","--now","flowhost.service"]');
  });

  it('install --dry-run shows the launchd plist and the WinSW XML for the other OSes', () => {
    const mac = flowhost('service', 'install', '--dry-run', '--platform', 'darwin', '--user', '_flowhost');
    expect(mac.status).toBe(0);
    expect(mac.stdout).toContain('write /Library/LaunchDaemons/com.flowhost.agent.plist (mode 644):');
    expect(mac.stdout).toContain('<string>_flowhost</string>');
    const win = flowhost('service', 'install', '--dry-run', '--platform', 'win32');
    expect(win.status).toBe(0);
    expect(win.stdout).toContain('<id>flowhost</id>');
  });

  it('refuses a bad config, an unknown user and --platform without --dry-run with exit code 2', () => {
    writeFileSync(join(dir, 'bad.json'), '{"schemaversion":1,"capacity":"many"}');
    const bad = flowhost('service', 'install', '--dry-run', '--config', 'bad.json');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/capacity/);
    const user = flowhost('service', 'install', '--dry-run', '--user', 'no-such-user-flowhost');
    expect(user.status).toBe(2);
    expect(user.stderr).toContain("no such user 'no-such-user-flowhost'");
    expect(flowhost('service', 'install', '--platform', 'darwin').status).toBe(2);
  });

  it('explains the root trade-off in its help', () => {
    const r = flowhost('service', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Without --user the agent runs as root');
  });
});

describe('applyPlan (real files, real child processes)', () => {
  const node = (code: string) => ({ kind: 'run', file: process.execPath, args: ['-e', code] }) as const;

  it('creates, writes (with its mode) and removes in order, running each command by argv without a shell', async () => {
    const target = join(dir, 'applied', 'unit.service');
    const marker = join(dir, 'applied', 'ran.txt');
    const plan: ServicePlan = {
      action: 'install',
      platform: 'linux',
      steps: [
        { kind: 'mkdir', path: join(dir, 'applied'), mode: 0o700 },
        { kind: 'write', path: target, content: '[Unit]\n', mode: 0o644 },
        { kind: 'run', file: process.execPath, args: ['-e', 'require("fs").writeFileSync(process.argv[1], process.argv[2])', marker, '$(touch /tmp/x); `id`'] },
        { kind: 'remove', path: join(dir, 'absent') },
      ],
    };
    const lines: string[] = [];
    const result = await applyPlan(plan, { log: (l) => lines.push(l) });
    expect(result.ok).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('[Unit]\n');
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(readFileSync(marker, 'utf8')).toBe('$(touch /tmp/x); `id`');
    expect(lines[0]).toBe(`created ${join(dir, 'applied')}`);
  });

  it('goes on past a tolerated failure and stops at the first other one', async () => {
    const after = join(dir, 'after.txt');
    const plan: ServicePlan = {
      action: 'uninstall',
      platform: 'linux',
      steps: [
        { ...node('process.exit(3)'), tolerateFailure: true },
        node('process.stderr.write("boom"); process.exit(1)'),
        { kind: 'write', path: after, content: 'x', mode: 0o600 },
      ],
    };
    const lines: string[] = [];
    const result = await applyPlan(plan, { log: (l) => lines.push(l) });
    expect(result.ok).toBe(false);
    expect(result.results.map((r) => r.code)).toEqual([3, 1]);
    expect(lines.at(-1)).toMatch(/failed \(exit code 1: boom\)$/);
    expect(existsSync(after)).toBe(false);
  });

  it('reports a program that cannot start', async () => {
    const result = await applyPlan({ action: 'status', platform: 'linux', steps: [{ kind: 'run', file: join(dir, 'no-such-program'), args: [] }] });
    expect(result.ok).toBe(false);
    expect(result.results[0]).toMatchObject({ code: null });
    expect(result.results[0]?.error).toMatch(/ENOENT/);
  });
});
