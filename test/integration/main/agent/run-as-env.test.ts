import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookupUser } from '../../../../main/agent/process/session-user.js';
import { prepareLaunch, removeWorkDir } from '../../../../main/agent/runner/flow-launch.js';
import { isRoot, LINUX, skipUnless } from '../../../support/requirements.js';
import { tempDir } from '../../../support/temp-dir.js';
import { createHarness } from './host-harness.js';

const nobody = lookupUser('nobody');
const hasSetpriv = ['/usr/bin/setpriv', '/bin/setpriv'].some((p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
});

/** Issue 12 item 3: the flow's environment never reaches the root helper that drops privileges (setpriv). */
describe.skipIf(skipUnless(isRoot && nobody !== undefined && hasSetpriv, { what: 'root, a `nobody` user and util-linux setpriv', platforms: LINUX }))('the flow environment of a run as another user', () => {
  it("loader variables in the workflow env reach only the flow's processes, never setpriv running as root", async () => {
    // LD_DEBUG_OUTPUT makes the dynamic loader of every process that gets it write <prefix>.<pid>, owned by its uid.
    const dir = tempDir('flowhost-ld-');
    chmodSync(dir, 0o755);
    const ld = join(dir, 'ld');
    mkdirSync(ld, { mode: 0o777 });
    chmodSync(ld, 0o777);
    const h = createHarness({ sessionUsers: ['nobody'] });
    try {
      const flow = { schemaversion: 1 as const, kind: 'command' as const, argv: ['/bin/true'], env: { LD_DEBUG: 'files', LD_DEBUG_OUTPUT: join(ld, 'ld') } };
      const { done } = h.start({ flow, session: { runmode: 2, sessionusername: 'nobody' } });
      expect(await done).toMatchObject({ statuscode: 4, runas: 'nobody' });
    } finally {
      h.close();
    }
    const owners = readdirSync(ld).map((name) => statSync(join(ld, name)).uid);
    expect(owners).not.toContain(0);
    expect(owners).toContain(nobody!.uid); // the flow's own loader did get them
  });

  it('the flow sees exactly the environment it got before the wrapper: same as a direct spawn with uid/gid', async () => {
    const env = { QUOTES: `it's "q" \\' end`, SHELLISH: '$HOME `id` $(id) ${PATH}', LINES: 'a\nb\n', EMPTY: '', UNICODE: 'héllo 🙂' };
    const inputs = { token: "s3cr'et $(id)", n: 3 };
    const script = 'const e = { ...process.env }; for (const k of ["FLOWHOST_INPUTS", "FLOWHOST_OUTPUTS", "FLOWHOST_SESSION_ID"]) delete e[k]; console.log(JSON.stringify(e))';
    const seen: Record<string, string>[] = [];
    for (const setprivPath of [undefined, null]) {
      const h = createHarness({ sessionUsers: ['nobody'], ...(setprivPath === null ? { setprivPath: null } : {}) });
      try {
        const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'node', script, env }, inputs, session: { runmode: 2, sessionusername: 'nobody' } });
        expect(await done).toMatchObject({ statuscode: 4 });
        seen.push(JSON.parse(h.logText(id)[0] as string) as Record<string, string>);
      } finally {
        h.close();
      }
    }
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]).toMatchObject({ ...env, FLOWHOST_INPUT_TOKEN: inputs.token, FLOWHOST_INPUT_N: '3', USER: 'nobody' });
    expect(Object.keys(seen[0] ?? {})).not.toContain('PWD');
  });

  it('setpriv gets an empty environment and no input value in its argv', async () => {
    const plan = prepareLaunch({
      sessionId: 'argv-check',
      flow: { schemaversion: 1, kind: 'shell', shell: 'sh', script: 'true', env: { LD_PRELOAD: '/tmp/evil.so' } },
      inputs: JSON.stringify({ token: 'argv-secret-42' }),
      dataDir: tempDir(),
      user: nobody!,
    });
    try {
      expect(plan.env).toEqual({});
      expect(JSON.stringify([plan.file, ...plan.args])).not.toMatch(/argv-secret-42|evil/);
    } finally {
      await removeWorkDir(plan);
    }
  });
});

describe.skipIf(skipUnless(isRoot && nobody !== undefined, { what: 'root and a `nobody` user', platforms: LINUX }))('the work dir of a run as another user', () => {
  it("is the agent's (0711) with the user's files (0600) and cwd (0700); what the flow left there is removed as the user", async () => {
    const secret = join(tempDir('flowhost-root-only-'), 'keep');
    writeFileSync(secret, 'root data', { mode: 0o600 });
    const h = createHarness({ sessionUsers: ['nobody'] });
    try {
      const script = [
        'c=$(pwd); d=$(dirname "$FLOWHOST_OUTPUTS")',
        'cd "$d" && stat -c "%a %u %n" "$d" env.sh inputs.json outputs.json script.sh work; cd work',
        'ls "$d" 2>/dev/null || echo "cannot list"',
        'echo "cwd $(echo "$c" | sed "s#$d/##")"',
        `mkdir -p deep/locked && echo x > deep/locked/f && chmod 000 deep/locked deep && ln -s '${secret}' link && ln -s / root`,
      ].join('\n');
      const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'shell', shell: 'sh', script }, session: { runmode: 2, sessionusername: 'nobody' } });
      expect(await done).toMatchObject({ statuscode: 4 });
      const [dir, ...entries] = h.logText(id);
      const u = nobody!.uid;
      expect(dir).toMatch(new RegExp(`^711 0 /`));
      expect(entries).toEqual([`600 ${u} env.sh`, `600 ${u} inputs.json`, `600 ${u} outputs.json`, `600 ${u} script.sh`, `700 ${u} work`, 'cannot list', 'cwd work']);
      const path = (dir as string).split(' ')[2] as string;
      expect(existsSync(path)).toBe(false);
      expect(h.store.workDirs()).toEqual([]);
      expect(readFileSync(secret, 'utf8')).toBe('root data');
    } finally {
      h.close();
    }
  });
});

describe.skipIf(skipUnless(isRoot && nobody !== undefined, { what: 'root and a `nobody` user', platforms: LINUX }))('the temp dir that holds run-as work dirs', () => {
  it("is refused when the flow's user could rename entries in it (its own, or writable and not sticky)", () => {
    const parent = tempDir('flowhost-tmp-');
    chmodSync(parent, 0o755);
    const owned = join(parent, 'owned');
    const open = join(parent, 'open');
    mkdirSync(owned);
    chownSync(owned, nobody!.uid, nobody!.gid);
    mkdirSync(open);
    chmodSync(open, 0o777);
    const saved = process.env['TMPDIR'];
    try {
      for (const dir of [owned, open]) {
        process.env['TMPDIR'] = dir;
        const req = { sessionId: 'tmp-check', flow: { schemaversion: 1 as const, kind: 'command' as const, argv: ['/bin/true'] }, inputs: '{}', dataDir: parent, user: nobody! };
        expect(() => prepareLaunch(req)).toThrow(/is not safe for work dirs of other users/);
        expect(readdirSync(dir)).toEqual([]);
      }
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
    }
  });
});
