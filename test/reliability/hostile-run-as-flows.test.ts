import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isTerminalStatus } from '../../shared/option-sets.js';
import { lookupUser } from '../../main/agent/process/session-user.js';
import { processExists } from '../../main/agent/process/process-exists.js';
import { API_GROUP_PASSWORD, apiOk, apiStdout, createGroup, getSession, runFlow, startApiOrchestrator, waitForSessionEnd } from '../support/api-harness.js';
import { startCallbackReceiver } from '../support/callback-receiver.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { registerTestMachine } from '../support/real-agent.js';
import { isRoot, LINUX, skipUnless } from '../support/requirements.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { AgentProcess } from '../support/agent-process.js';

const nobody = lookupUser('nobody');

/**
 * A flow author's attacks on a root agent that runs flows as `nobody` (issue 12, items 1 and 5): the agent is a real
 * process (test/fixtures/agent-child.ts), so a crash is a dead process and a stuck read a lost slot.
 */
describe.skipIf(skipUnless(isRoot && nobody !== undefined, { what: 'root and a `nobody` user, to run flows as a session user', platforms: LINUX }))(
  'reliability: hostile flows running as nobody under a root agent',
  () => {
    /** A root agent (capacity 1, session user nobody), its orchestrator, a callback receiver and a root-only secret. */
    async function setup() {
      const orch = disposeAfterTest(await startApiOrchestrator());
      const groupId = await createGroup(orch, 'hostile');
      const dataDir = tempDir('flowhost-hostile-agent-');
      const { credentials } = await registerTestMachine(orch.url, { group: 'hostile', groupPassword: API_GROUP_PASSWORD, name: 'hostile', dataDir, dirTag: 'hostile' });
      const logFile = join(dataDir, 'agent.log');
      const agent = new AgentProcess({ orchestratorUrl: orch.url, credentials, dataDir, capacity: 1, sessionUsers: ['nobody'], logFile });
      onTestFinished(() => agent.stop());
      agent.start();
      await agent.whenConnected();
      const receiver = disposeAfterTest(await startCallbackReceiver());
      // Short: V8's JSON.parse error quotes only the first 10 characters of the text it could not parse.
      const marker = `M${randomBytes(4).toString('hex')}`;
      // Root-only (0700 dir, 0600 file): the flow's user cannot read it.
      const secretDir = tempDir('flowhost-secret-');
      const secretFile = join(secretDir, 'secret');
      writeFileSync(secretFile, `${marker}\n`, { mode: 0o600 });
      let callbacks = 0;
      const run = async (script: string, extra: Record<string, unknown> = {}) => {
        const workflow = String((await apiOk(orch, 'POST', 'workflows', { name: 'hostile', category: 6, clientdata: JSON.stringify({ schemaversion: 1, kind: 'shell', shell: 'sh', script }) }))['workflowid']);
        const path = `/cb/${++callbacks}`;
        const id = await runFlow(orch, workflow, { machineGroupId: groupId, sessionUser: 'nobody', callbackUrl: receiver.url(path), ...extra });
        return { id, path };
      };
      /** The session's end, or a failure naming the agent process's exit when it dies first. */
      const end = async (id: string) => {
        const outcome = await waitFor(
          async () => (agent.pid === undefined ? 'the agent process exited' : isTerminalStatus(Number((await getSession(orch, id))['statuscode'])) ? 'the session ended' : undefined),
          { what: `session ${id} to end`, timeoutMs: 20_000 },
        );
        expect(outcome).toBe('the session ended');
        return getSession(orch, id);
      };
      /** The marker is nowhere: session row (outputs, errormessage), flowlogs, callback body, the agent's log and stderr. */
      const expectNoLeak = async (id: string, path: string) => {
        await waitFor(() => receiver.to(path).length > 0, { what: 'the session callback' });
        // What the API returns and what is stored.
        const flowlogs = await orch.running.store.logs.forSession(id);
        const apiFlowlogs = await apiOk(orch, 'GET', `flowlogs?$filter=_flowsessionid_value eq ${id}`);
        const seen = [JSON.stringify(await getSession(orch, id)), JSON.stringify(await orch.running.store.sessions.get(id)), JSON.stringify(flowlogs), JSON.stringify(apiFlowlogs), ...receiver.to(path).map((r) => r.body), readFileSync(logFile, 'utf8'), agent.stderr.join('\n')];
        for (const text of seen) expect(text).not.toContain(marker);
      };
      /** The agent process is alive and its one slot is free: a next session runs to Succeeded. */
      const expectServing = async () => {
        expect(agent.pid !== undefined && processExists(agent.pid)).toBe(true);
        const next = await run('echo next');
        expect(await waitForSessionEnd(orch, next.id, 20_000)).toMatchObject({ statuscode: 4 });
        expect(await apiStdout(orch, next.id)).toEqual(['next']);
      };
      return { orch, agent, run, end, expectNoLeak, expectServing, marker, secretDir, secretFile };
    }

    it('mkdir at $FLOWHOST_OUTPUTS: the agent stays up and runs the next session', async () => {
      const t = await setup();
      const { id, path } = await t.run('rm -f "$FLOWHOST_OUTPUTS"; mkdir "$FLOWHOST_OUTPUTS"; exit 0');
      await t.end(id);
      await t.expectNoLeak(id, path);
      expect(await getSession(t.orch, id)).toMatchObject({ statuscode: 4 });
      await t.expectServing();
    });

    it('mkfifo at $FLOWHOST_OUTPUTS: the session ends within its run timeout and frees its slot', async () => {
      const t = await setup();
      const { id, path } = await t.run('rm -f "$FLOWHOST_OUTPUTS"; mkfifo "$FLOWHOST_OUTPUTS"; exit 0', { timeout: 3 });
      await t.end(id);
      await t.expectNoLeak(id, path);
      await t.expectServing();
    });

    it('a symlink to a root-only file at $FLOWHOST_OUTPUTS: its content appears nowhere', async () => {
      const t = await setup();
      const { id, path } = await t.run(`rm -f "$FLOWHOST_OUTPUTS"; ln -s '${t.secretFile}' "$FLOWHOST_OUTPUTS"; exit 0`);
      await t.end(id);
      await t.expectNoLeak(id, path);
      expect(await getSession(t.orch, id)).toMatchObject({ statuscode: 4 });
      await t.expectServing();
    });

    it('a flow that renames its work dir away and puts a symlink in its place: the agent reads and removes nothing through it', async () => {
      const t = await setup();
      // A root-only dir whose files have the names the agent reads and removes in a work dir.
      writeFileSync(join(t.secretDir, 'outputs.json'), `${t.marker}\n`, { mode: 0o600 });
      writeFileSync(join(t.secretDir, 'inputs.json'), 'root data', { mode: 0o600 });
      const script = `d=$(dirname "$FLOWHOST_OUTPUTS"); mv "$d" "$d.moved" && ln -s '${t.secretDir}' "$d"; exit 0`;
      const { id, path } = await t.run(script);
      await t.end(id);
      await t.expectNoLeak(id, path);
      expect(await getSession(t.orch, id)).toMatchObject({ statuscode: 4 });
      expect(readFileSync(join(t.secretDir, 'inputs.json'), 'utf8')).toBe('root data');
      expect(existsSync(join(t.secretDir, 'outputs.json'))).toBe(true);
      await t.expectServing();
    });

    it('CancelDesktopFlowRun of a session whose flow made its outputs a FIFO ends it and frees the slot', async () => {
      const t = await setup();
      const { id } = await t.run('rm -f "$FLOWHOST_OUTPUTS"; mkfifo "$FLOWHOST_OUTPUTS"; echo made; exit 0', { timeout: 3600 });
      await waitFor(async () => (await apiStdout(t.orch, id)).includes('made'), { what: 'the flow to have run', timeoutMs: 20_000 });
      expect((await t.orch.api('POST', `flowsessions(${id})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`)).status).toBe(204);
      await t.end(id);
      await t.expectServing();
    });

    it('kill -9 of the agent mid-flow: the restarted agent removes the work dir with the inputs (and what the flow left)', async () => {
      const t = await setup();
      const { id } = await t.run('echo left > left.txt; echo started; exec sleep 600', { inputs: { token: 'secret-input-value' } });
      await waitFor(async () => (await apiStdout(t.orch, id)).includes('started'), { what: 'the flow to start', timeoutMs: 20_000 });
      const dirs = readdirSync(tmpdir())
        .filter((n) => n.startsWith(`flowhost-${id}-`))
        .map((n) => join(tmpdir(), n));
      expect(dirs).toHaveLength(1);
      const dir = dirs[0] as string;
      expect(readFileSync(join(dir, 'inputs.json'), 'utf8')).toContain('secret-input-value');
      await t.agent.kill9();
      expect(existsSync(dir)).toBe(true); // what a dead agent leaves behind
      t.agent.start();
      await t.agent.whenConnected();
      expect(await waitForSessionEnd(t.orch, id, 20_000)).toMatchObject({ statuscode: 11, errorcode: 'AgentRestarted' });
      await waitFor(() => !existsSync(dir), { what: `the left work dir ${dir} to be removed` });
      await t.expectServing();
    });
  },
);
