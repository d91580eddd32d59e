import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunAs, currentUser, lookupUser } from '../../../../main/agent/process/session-user.js';
import { createHarness } from './host-harness.js';
import { isRoot, LINUX, skipUnless } from '../../../support/requirements.js';

const hasUseradd = (() => {
  try {
    execFileSync('useradd', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const suffix = randomBytes(3).toString('hex');
const user = `fhu${suffix}`;
const group = `fhg${suffix}`;

// Creating a user and switching to it needs root (and useradd); elsewhere these tests cannot prove anything.
describe.skipIf(skipUnless(isRoot && hasUseradd, { what: 'root and useradd, to run flows as a session user', platforms: LINUX }))('running as the session user (needs root and useradd)', () => {
  beforeAll(() => {
    execFileSync('groupadd', [group]);
    execFileSync('useradd', ['-m', '-d', `/home/${user}`, '-s', '/bin/sh', '-G', group, user]);
  });
  afterAll(() => {
    execFileSync('userdel', ['-r', user], { stdio: 'ignore' });
    execFileSync('groupdel', [group], { stdio: 'ignore' });
  });

  it('looks the user up and allows it (we are root); refuses unknown and malformed names', () => {
    const id = lookupUser(user);
    expect(id?.home).toBe(`/home/${user}`);
    expect(id?.uid).toBeGreaterThan(0);
    expect(canRunAs(user)).toEqual({ ok: true });
    expect(canRunAs(currentUser())).toEqual({ ok: true });
    expect(canRunAs(`nouser${suffix}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/no such user/) });
    expect(canRunAs('-u')).toMatchObject({ ok: false, reason: expect.stringMatching(/not a valid user name/) });
  });

  const script = 'id -u\nid -G\necho "home=$HOME user=$USER logname=$LOGNAME"\ncat "$FLOWHOST_INPUTS"\necho "{\\"me\\": $(id -u)}" > "$FLOWHOST_OUTPUTS"\n';

  it('runs an Unattended session as its session user: uid, supplementary groups, HOME/USER, inputs and outputs', async () => {
    const h = createHarness({ sessionUsers: [user] });
    try {
      const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'shell', shell: 'sh', script }, inputs: { a: 'b' }, session: { runmode: 2, sessionusername: user } });
      const s = await done;
      const ident = lookupUser(user)!;
      expect(s).toMatchObject({ statuscode: 4, runas: user, outputs: JSON.stringify({ me: ident.uid }) });
      const [uid, groups, env, inputs] = h.logText(id);
      expect(Number(uid)).toBe(ident.uid);
      const groupId = Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);
      expect(groups?.split(' ').map(Number)).toContain(groupId);
      expect(env).toBe(`home=/home/${user} user=${user} logname=${user}`);
      expect(inputs).toBe('{"a":"b"}');
      expect(h.store.eventsAfter(0, 10)[0]).toMatchObject({ kind: 'started', sessionusername: user });
    } finally {
      h.close();
    }
  });

  it("without setpriv, Node's uid/gid still switch the user (supplementary groups are then dropped: a stated limit)", async () => {
    const h = createHarness({ setprivPath: null, sessionUsers: [user] });
    try {
      const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'shell', shell: 'sh', script }, session: { runmode: 2, sessionusername: user } });
      expect((await done).statuscode).toBe(4);
      const ident = lookupUser(user)!;
      expect(h.logText(id).slice(0, 2)).toEqual([String(ident.uid), String(ident.gid)]);
    } finally {
      h.close();
    }
  });

  it('runs Attended sessions as the agent user, whatever sessionusername says', async () => {
    const h = createHarness({ sessionUsers: [user] });
    try {
      const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'shell', shell: 'sh', script: 'id -u' }, session: { runmode: 1, sessionusername: user } });
      expect((await done).runas).toBe(currentUser());
      expect(h.logText(id)[0]).toBe(String(process.getuid?.()));
    } finally {
      h.close();
    }
  });
});

describe('a session user that does not exist', () => {
  it('fails the session with SessionUserUnavailable instead of running it as the agent', async () => {
    const h = createHarness({ sessionUsers: [`nouser${suffix}`] });
    try {
      const { done } = h.start({ session: { runmode: 2, sessionusername: `nouser${suffix}` } });
      expect(await done).toMatchObject({ statuscode: 8, errorcode: 'SessionUserUnavailable', errormessage: expect.stringMatching(/does not exist/) });
    } finally {
      h.close();
    }
  });

  it('a session naming a user the agent is not configured for fails (SessionUserUnavailable), even one the OS has', async () => {
    const h = createHarness({ sessionUsers: ['nobody'] });
    try {
      const { done } = h.start({ session: { runmode: 2, sessionusername: currentUser() } });
      expect(await done).toMatchObject({ statuscode: 8, errorcode: 'SessionUserUnavailable', errormessage: expect.stringMatching(/not a session user/) });
    } finally {
      h.close();
    }
  });
});
