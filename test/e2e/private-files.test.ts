import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookupUser } from '../../main/agent/process/session-user.js';
import { startTestOrchestrator } from '../support/orchestrator-harness.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { pathOnlyEnv, startFlowhost } from '../support/flowhost-cli.js';
import { isRoot, LINUX, skipUnless } from '../support/requirements.js';
import { tempDir } from '../support/temp-dir.js';
import { API_GROUP_PASSWORD, apiOk, apiStdout, createGroup, runFlow, startApiOrchestrator, waitForSessionEnd } from '../support/api-harness.js';

const nobody = lookupUser('nobody');
const asNobody = skipUnless(isRoot && nobody !== undefined, { what: 'root and a `nobody` user, to run flows and readers as another user', platforms: LINUX });
const mode = (path: string) => statSync(path).mode & 0o777;

/** What the `nobody` flow tries: list the data dir, read the store and its WAL, and say whether another session's secret was in them. */
const SNOOP = `
import { readdirSync, readFileSync } from 'node:fs';
const dir = process.env.FLOWHOST_INPUT_DATADIR;
const marker = ['flowhost', 'secret', 'marker'].join('-'); // never spelled whole here: this script is in the store too
const tryRead = (name, read) => { try { const text = read(); return name + ': readable' + (text.includes(marker) ? ', holds the secret' : ''); } catch (err) { return name + ': ' + err.code; } };
console.log(tryRead('data dir', () => readdirSync(dir).join(',')));
for (const file of ['agent.db', 'agent.db-wal', 'agent.db-shm']) console.log(tryRead(file, () => readFileSync(dir + '/' + file, 'latin1')));
`;

/** Reads `file` as `nobody` in a real child process: 'readable' or the error code. */
function readAsNobody(file: string): string {
  const r = spawnSync(process.execPath, ['-e', `try { require('fs').readFileSync(${JSON.stringify(file)}); console.log('readable') } catch (e) { console.log(e.code) }`], {
    uid: nobody!.uid,
    gid: nobody!.gid,
    encoding: 'utf8',
  });
  return r.stdout.trim();
}

describe('e2e: data dirs 0700, SQLite files 0600 (a flow run as another user reads none of them)', () => {
  it.skipIf(asNobody)('a root agent whose data dir was 0755 makes it 0700 at start; a flow run as nobody can read neither agent.db nor its WAL', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const groupId = await createGroup(orch, 'g1');
    const root = tempDir();
    chmodSync(root, 0o755); // like /var/lib: others may pass through
    const dataDir = join(root, 'agent');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755); // made by hand or by a package before the first start
    const passwordFile = join(root, 'group-password');
    writeFileSync(passwordFile, `${API_GROUP_PASSWORD}\n`, { mode: 0o600 });
    const agent = startFlowhost(
      ['agent', '--orchestrator', orch.url, '--group', 'g1', '--group-password-file', passwordFile, '--data-dir', dataDir, '--session-user', 'nobody', '--sample-interval-ms', '200'],
      { env: pathOnlyEnv() },
    );
    disposeAfterTest({ close: () => agent.stop() });
    await agent.waitForOutput(/agent \S+ started/);
    expect(agent.output()).toMatch(new RegExp(`data dir ${dataDir} had mode 0755; set it to 0700`));
    expect(mode(dataDir)).toBe(0o700);

    const inputschema = JSON.stringify({ type: 'object', properties: { token: { type: 'string', 'x-secret': true }, datadir: { type: 'string' } } });
    const workflow = async (script: string) =>
      String((await apiOk(orch, 'POST', 'workflows', { name: 'snoop', category: 6, inputschema, clientdata: JSON.stringify({ schemaversion: 1, kind: 'node', script }) }))['workflowid']);
    const holder = await runFlow(orch, await workflow('console.log("holding a secret")'), { machineGroupId: groupId, sessionUser: 'nobody', inputs: { token: 'flowhost-secret-marker-4711' } });
    expect((await waitForSessionEnd(orch, holder))['statuscode']).toBe(4);
    const snoop = await runFlow(orch, await workflow(SNOOP), { machineGroupId: groupId, sessionUser: 'nobody', inputs: { datadir: dataDir } });
    expect((await waitForSessionEnd(orch, snoop))['statuscode']).toBe(4);
    expect(await apiStdout(orch, snoop)).toEqual(['data dir: EACCES', 'agent.db: EACCES', 'agent.db-wal: EACCES', 'agent.db-shm: EACCES']);
    for (const file of ['agent.db', 'agent.db-wal', 'agent.db-shm']) expect(mode(join(dataDir, file)), file).toBe(0o600);
  });

  it.skipIf(asNobody)('an agent refuses a data dir others may read that it does not own, naming the dir', async () => {
    const root = tempDir();
    const dataDir = join(root, 'someone-elses');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    chownSync(dataDir, nobody!.uid, nobody!.gid);
    const passwordFile = join(root, 'group-password');
    writeFileSync(passwordFile, 'pw\n', { mode: 0o600 });
    const agent = startFlowhost(['agent', '--orchestrator', 'http://127.0.0.1:9', '--group', 'g', '--group-password-file', passwordFile, '--data-dir', dataDir], { env: pathOnlyEnv() });
    disposeAfterTest({ close: () => agent.stop() });
    expect(await agent.exited()).not.toBe(0);
    expect(agent.output()).toContain(`data dir ${dataDir} has mode 0755 (others may read it) and belongs to uid ${nobody!.uid}, not to this process (uid 0)`);
    expect(mode(dataDir)).toBe(0o755);
  });

  it.skipIf(asNobody)("the orchestrator's dir becomes 0700 and its database, WAL and SHM 0600, also when an older start left them 0755/0644", async () => {
    const root = tempDir();
    chmodSync(root, 0o755);
    const dataDir = join(root, 'orchestrator');
    const files = ['orchestrator.db', 'orchestrator.db-wal', 'orchestrator.db-shm'].map((f) => join(dataDir, f));
    const fresh = await startTestOrchestrator({ dataDir });
    await createGroup(fresh, 'g1'); // a password hash and a callback secret now sit in the WAL
    expect(mode(dataDir)).toBe(0o700);
    for (const file of files) expect(mode(file), file).toBe(0o600);
    await fresh.close();

    chmodSync(dataDir, 0o755);
    for (const file of files) {
      closeSync(openSync(file, 'a'));
      chmodSync(file, 0o644);
    }
    const again = disposeAfterTest(await startTestOrchestrator({ dataDir }));
    await createGroup(again, 'g2');
    expect(mode(dataDir)).toBe(0o700);
    for (const file of files) {
      expect(mode(file), file).toBe(0o600);
      chmodSync(dataDir, 0o711); // let nobody reach the file: its own mode must still refuse it
      expect(readAsNobody(file), file).toBe('EACCES');
      chmodSync(dataDir, 0o700);
    }
  });

  it.skipIf(asNobody)('the orchestrator refuses a data dir others may read that it does not own', async () => {
    const dataDir = join(tempDir(), 'orchestrator');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    chownSync(dataDir, nobody!.uid, nobody!.gid);
    await expect(startTestOrchestrator({ dataDir })).rejects.toThrow(`data dir ${dataDir} has mode 0755 (others may read it) and belongs to uid ${nobody!.uid}`);
  });
});
