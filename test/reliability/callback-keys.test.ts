import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeHmacSha256 } from '../../node-shared/node-hmac.js';
import { readCredentials } from '../../main/agent/registration/credentials.js';
import { CALLBACK_SIGNATURE_TOLERANCE_S, deriveCallbackKey, signCallback } from '../../shared/callback-signature.js';
import { startCallbackReceiver, verifyReceived } from '../support/callback-receiver.js';
import { API_GROUP_PASSWORD, apiOk, createFixtureWorkflow, createGroup, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd } from '../support/api-harness.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { envWithoutFlowhost, FLOWHOST_BIN } from '../support/flowhost-cli.js';
import { POSIX, skipUnlessOn } from '../support/requirements.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Completion callback signatures, attacked as a network eavesdropper (replay) and as a machine of the group (forging
 * another machine's callback, keeping a key after rotation). A real orchestrator (Web API + gateway), real agents
 * (in this process, and `flowhost agent` as a child process), real flows and a receiver that verifies every callback
 * with shared/callback-signature.ts and the group's `callbacksecret` as docs/api.md tells receivers to.
 */
const groupSecretOf = async (orch: Parameters<typeof apiOk>[0], groupId: string) =>
  String((await apiOk(orch, 'GET', `flowmachinegroups(${groupId})?$select=callbacksecret`))['callbacksecret']);

const keyInDataDir = (dataDir: string) => readCredentials(join(dataDir, 'credentials.json'))!.callbackSecret;

async function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })).status;
}

describe('reliability: callback signatures (per-machine keys, signed time, rotation)', () => {
  it('a captured callback replayed outside the 5-minute window is refused; a member cannot sign as another machine or as the orchestrator', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const groupId = await createGroup(orch, 'keys-g1');
    const groupSecret = await groupSecretOf(orch, groupId);
    const skew = { s: 0 };
    const receiver = disposeAfterTest(await startCallbackReceiver(() => 200, { secrets: () => [groupSecret], nowSeconds: () => Date.now() / 1000 + skew.s }));
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'keys-g1', name: 'keys-a' }));
    const b = disposeAfterTest(await startApiAgent(orch, { group: 'keys-g1', name: 'keys-b' }));
    const wf = await createFixtureWorkflow(orch, 'lines.mjs');
    const id = await runFlow(orch, wf, { machineId: b.machineId, inputs: { lines: 1 }, callbackUrl: receiver.url('/b') });
    expect(await waitForSessionEnd(orch, id)).toMatchObject({ statuscode: 4, _machineid_value: b.machineId });
    const [real] = await waitFor(() => receiver.to('/b').length > 0 && receiver.to('/b'), { what: "B's callback" });
    expect(real!.status).toBe(200);
    expect(real!.verified).toMatchObject({ ok: true, signer: b.machineId });

    // Replay: the same bytes again. Inside the window it verifies (receivers dedupe by Idempotency-Key); six
    // minutes later the receiver refuses it.
    const captured = { 'x-flowhost-signature': String(real!.headers['x-flowhost-signature']), 'idempotency-key': id };
    expect(await post(receiver.url('/replay'), captured, real!.body)).toBe(200);
    skew.s = 6 * 60;
    expect(await post(receiver.url('/replay'), captured, real!.body)).toBe(401);
    expect(receiver.to('/replay')[1]!.verified).toMatchObject({ ok: false, reason: expect.stringMatching(/outside the 300 s window/) });
    skew.s = 0;

    // What machine A holds is its own key: not the group secret, not B's key.
    const keyA = keyInDataDir(a.dataDir);
    expect(keyA).not.toBe(groupSecret);
    expect(keyA).not.toBe(keyInDataDir(b.dataDir));
    // A forges B's completion (a failure instead of a success) with its key: refused however it names the signer.
    const forgedBody = real!.body.replace('"statuscode":4', '"statuscode":8');
    const now = Date.now() / 1000;
    for (const signer of [b.machineId, 'orchestrator']) {
      expect(await post(receiver.url('/forged'), { 'x-flowhost-signature': signCallback(keyA, signer, forgedBody, now, nodeHmacSha256), 'idempotency-key': id }, forgedBody)).toBe(401);
    }
    // Signed honestly as A it verifies, as A: the receiver sees that A is not the machine that ran the session.
    expect(await post(receiver.url('/forged'), { 'x-flowhost-signature': signCallback(keyA, a.machineId, forgedBody, now, nodeHmacSha256), 'idempotency-key': id }, forgedBody)).toBe(200);
    expect(receiver.to('/forged').map((r) => (r.verified?.ok ? r.verified.signer : 'refused'))).toEqual(['refused', 'refused', a.machineId]);
  });

  it("a machine whose clock is 20 minutes ahead signs with the orchestrator's time (from welcome): its callback passes the receiver's window", async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const groupId = await createGroup(orch, 'keys-skew');
    const groupSecret = await groupSecretOf(orch, groupId);
    const receiver = disposeAfterTest(await startCallbackReceiver(() => 200, { secrets: () => [groupSecret] }));
    const ahead = 20 * 60_000;
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'keys-skew', name: 'keys-ahead', now: () => new Date(Date.now() + ahead) }));
    const wf = await createFixtureWorkflow(orch, 'lines.mjs');
    const id = await runFlow(orch, wf, { machineGroupId: groupId, inputs: { lines: 1 }, callbackUrl: receiver.url('/skew') });
    expect((await waitForSessionEnd(orch, id))['statuscode']).toBe(4);
    const [cb] = await waitFor(() => receiver.to('/skew').length > 0 && receiver.to('/skew'), { what: 'the callback' });
    expect(cb!.verified).toMatchObject({ ok: true, signer: a.machineId });
    expect(Math.abs((cb!.verified as { t: number }).t - Date.now() / 1000)).toBeLessThan(CALLBACK_SIGNATURE_TOLERANCE_S);
  });

  it.skipIf(skipUnlessOn(POSIX, 'a clean exit on SIGTERM, key file mode 0600'))('RotateCallbackSecret: a connected `flowhost agent` process gets and keeps (0600) its new key, the old key stops verifying, new callbacks, agent retries and orchestrator re-sends verify', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const groupId = await createGroup(orch, 'keys-g2');
    const secrets = { current: await groupSecretOf(orch, groupId) };
    const oldSecret = secrets.current;
    // The receiver knows only the current secret; /flaky answers 503 once, so the agent retries.
    const receiver = disposeAfterTest(await startCallbackReceiver((n, path) => (path === '/flaky' && n === 0 ? 503 : 200), { secrets: () => [secrets.current] }));
    const dataDir = join(tempDir('flowhost-keys-'), 'agent');
    const args = ['agent', '--orchestrator', orch.url, '--group', 'keys-g2', '--name', 'keys-cli', '--data-dir', dataDir, '--callback-allow', '127.0.0.1'];
    const child = spawn(process.execPath, [FLOWHOST_BIN, ...args], { env: { ...envWithoutFlowhost(), FLOWHOST_GROUP_PASSWORD: API_GROUP_PASSWORD }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    disposeAfterTest({ dispose: async () => (child.exitCode === null && child.kill('SIGKILL'), await exited) });
    const machine = await waitFor(
      async () => {
        const page = await apiOk(orch, 'GET', `flowmachines?$filter=_flowmachinegroupid_value eq ${groupId} and connected eq true&$select=flowmachineid`);
        return (page['value'] as { flowmachineid: string }[])[0]?.flowmachineid;
      },
      { what: `the agent process to connect (${stderr.slice(-300)})`, timeoutMs: 30_000 },
    );
    const oldKey = keyInDataDir(dataDir);
    expect(oldKey).toBe(deriveCallbackKey(oldSecret, machine, nodeHmacSha256));

    const wf = await createFixtureWorkflow(orch, 'lines.mjs');
    const before = await runFlow(orch, wf, { machineGroupId: groupId, inputs: { lines: 1 }, callbackUrl: receiver.url('/before') });
    await waitFor(() => receiver.to('/before').length > 0, { what: 'the first callback' });
    expect(receiver.to('/before')[0]!.verified).toMatchObject({ ok: true, signer: machine });

    const rotated = await orch.api('POST', `flowmachinegroups(${groupId})/Microsoft.Dynamics.CRM.RotateCallbackSecret`);
    expect(rotated.status).toBe(200);
    const newSecret = String((rotated.json as { callbacksecret: string }).callbacksecret);
    expect(newSecret).not.toBe(oldSecret);
    expect(await groupSecretOf(orch, groupId)).toBe(newSecret);
    secrets.current = newSecret;
    // The connected agent got its new key (callback-key frame) and keeps it where its credential is, 0600.
    await waitFor(() => keyInDataDir(dataDir) === deriveCallbackKey(newSecret, machine, nodeHmacSha256), { what: 'the new key in credentials.json' });
    expect(statSync(join(dataDir, 'credentials.json')).mode & 0o777).toBe(0o600);

    // The old key (a machine removed from trust kept it) no longer verifies, even freshly signed.
    const body = receiver.to('/before')[0]!.body;
    expect(verifyReceived({ headers: { 'x-flowhost-signature': signCallback(oldKey, machine, body, Date.now() / 1000, nodeHmacSha256) }, body }, [newSecret])).toMatchObject({ ok: false });

    // New callbacks verify with the new secret, the agent's retry too (503 first).
    const after = await runFlow(orch, wf, { machineGroupId: groupId, inputs: { lines: 1 }, callbackUrl: receiver.url('/flaky') });
    await waitFor(() => receiver.to('/flaky').some((r) => r.status === 200), { what: 'the retried callback' });
    expect(receiver.to('/flaky').map((r) => [r.status, r.verified?.ok && r.verified.signer])).toEqual([
      [503, machine],
      [200, machine],
    ]);
    expect(receiver.to('/flaky')[0]!.headers['idempotency-key']).toBe(after);

    // The orchestrator's re-send of the session that ended before the rotation: signed now, with the new secret.
    const resend = await orch.api('POST', `flowsessions(${before})/Microsoft.Dynamics.CRM.TriggerDesktopFlowRunCallback`);
    expect(resend.status, resend.text).toBe(200);
    expect((resend.json as { callbackHttpResponseCode: number }).callbackHttpResponseCode).toBe(200);
    // Answered after the attempt: the re-send has arrived.
    expect(receiver.to('/before')).toHaveLength(2);
    expect(receiver.to('/before')[1]!).toMatchObject({ status: 200, verified: { ok: true, signer: 'orchestrator' } });
    expect(receiver.to('/before')[1]!.headers['idempotency-key']).toBe(before);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
