import { describe, expect, it } from 'vitest';
import { AGENT_DRAIN_GRACE_S, AGENT_FLUSH_TIMEOUT_S, DEFAULT_STOP_TIMEOUT_S } from '../../../../../main/agent/service/service-spec.js';
import { systemdUnit } from '../../../../../main/agent/service/systemd-unit.js';
import { spec } from './service-fixtures.js';

const keys = (unit: string, key: string) => unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

describe('systemdUnit', () => {
  it('runs `flowhost agent --config FILE` with the data dir, restart on failure and a drain-friendly stop', () => {
    const unit = systemdUnit(spec());
    expect(keys(unit, 'ExecStart')).toEqual(['/usr/bin/node /opt/flowhost/bin/flowhost.js agent --config /etc/flowhost/agent.json']);
    expect(keys(unit, 'Environment')).toEqual(['"FLOWHOST_DATA_DIR=/var/lib/flowhost"']);
    expect(keys(unit, 'Restart')).toEqual(['on-failure']);
    expect(keys(unit, 'KillMode')).toEqual(['mixed']);
    expect(keys(unit, 'KillSignal')).toEqual(['SIGTERM']);
    expect(keys(unit, 'StateDirectory')).toEqual(['flowhost']);
    expect(keys(unit, 'WantedBy')).toEqual(['multi-user.target']);
  });

  it('gives the agent longer than its drain grace plus the outbox flush before SIGKILL', () => {
    expect(DEFAULT_STOP_TIMEOUT_S).toBeGreaterThan(AGENT_DRAIN_GRACE_S + AGENT_FLUSH_TIMEOUT_S);
    expect(keys(systemdUnit(spec({ stopTimeoutS: 123 })), 'TimeoutStopSec')).toEqual(['123']);
  });

  it('is hardened: no new privileges, read-only system, writes only to the data dir and the given folders', () => {
    const unit = systemdUnit(spec({ readWritePaths: ['/srv/flows'] }));
    expect(keys(unit, 'NoNewPrivileges')).toEqual(['yes']);
    expect(keys(unit, 'ProtectSystem')).toEqual(['strict']);
    expect(keys(unit, 'PrivateTmp')).toEqual(['yes']);
    expect(keys(unit, 'ReadWritePaths')).toEqual(['/var/lib/flowhost -/srv/flows']);
    expect(keys(unit, 'UMask')).toEqual(['0077']);
  });

  it('sets User= only when a user is given, and explains the trade-off in a comment', () => {
    expect(keys(systemdUnit(spec()), 'User')).toEqual([]);
    expect(keys(systemdUnit(spec({ user: 'flowhost' })), 'User')).toEqual(['flowhost']);
    expect(systemdUnit(spec())).toMatch(/^# .*runs as root/m);
  });

  it('quotes words with spaces and escapes specifiers and variables so they reach the agent unchanged', () => {
    const unit = systemdUnit(spec({ command: ['/opt/my app/node', '/opt/flowhost/bin/flowhost.js'], configFile: '/etc/flow%host/$HOME "x".json' }));
    expect(keys(unit, 'ExecStart')).toEqual(['"/opt/my app/node" /opt/flowhost/bin/flowhost.js agent --config "/etc/flow%%host/$$HOME \\"x\\".json"']);
  });

  it('refuses what cannot be written safely: relative data dir, control characters, relative read-write paths', () => {
    expect(() => systemdUnit(spec({ dataDir: 'var/lib/flowhost' }))).toThrow(/absolute/);
    expect(() => systemdUnit(spec({ configFile: '/etc/a\nExecStartPre=/bin/sh' }))).toThrow(/control character/);
    expect(() => systemdUnit(spec({ user: 'x\ny' }))).toThrow(/control character/);
    expect(() => systemdUnit(spec({ readWritePaths: ['srv'] }))).toThrow(/absolute/);
  });
});
