import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AGENT_WS_PATH } from '../../shared/protocol.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { pathOnlyEnv, runFlowhost, startFlowhost, type FlowhostProcess } from '../support/flowhost-cli.js';
import { callApi, startTestOrchestrator } from '../support/orchestrator-harness.js';
import { skipUnless } from '../support/requirements.js';
import { tempDir } from '../support/temp-dir.js';
import { hasOpenssl, makeTestPki, type TestPki } from '../support/test-pki.js';
import { API_GROUP_PASSWORD, apiOk, apiStdout, createGroup, runFlow, waitForSessionEnd } from '../support/api-harness.js';

const noOpenssl = skipUnless(hasOpenssl, 'openssl, to make a test CA and a server certificate');
const CERT_REFUSAL = /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|unable to verify|self[- ]signed/i;

function started(p: FlowhostProcess): FlowhostProcess {
  return disposeAfterTest({ ...p, close: () => p.stop() });
}

async function tlsOrchestrator(pki: TestPki) {
  return disposeAfterTest(
    await startTestOrchestrator({
      tls: { cert: readFileSync(pki.certFile), key: readFileSync(pki.keyFile) },
      trustCa: pki.caPem,
      gateway: { queueTickMs: 20, heartbeatIntervalMs: 200 },
    }),
  );
}

function passwordFile(dir: string): string {
  const file = join(dir, 'group-password');
  writeFileSync(file, API_GROUP_PASSWORD, { mode: 0o600 });
  return file;
}

describe('e2e: TLS between agent and orchestrator (https + wss on one port)', () => {
  it.skipIf(noOpenssl)('a real agent trusting the orchestrator CA (--orchestrator-ca) registers over https and runs a session over wss', async () => {
    const dir = tempDir();
    const pki = makeTestPki(dir);
    const orch = await tlsOrchestrator(pki);
    expect(orch.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const groupId = await createGroup(orch, 'g1');
    const agent = started(
      startFlowhost(['agent', '--orchestrator', orch.url, '--orchestrator-ca', pki.caFile, '--group', 'g1', '--group-password-file', passwordFile(dir), '--data-dir', join(dir, 'data')], {
        env: pathOnlyEnv(),
      }),
    );
    await agent.waitForOutput(/connected to the orchestrator at wss:\/\/127\.0\.0\.1:\d+\/agent\/v1/);
    const workflow = await apiOk(orch, 'POST', 'workflows', { name: 'hello', category: 6, clientdata: JSON.stringify({ schemaversion: 1, kind: 'node', script: 'console.log("over tls")' }) });
    const id = await runFlow(orch, String(workflow['workflowid']), { machineGroupId: groupId });
    expect((await waitForSessionEnd(orch, id))['statuscode']).toBe(4);
    expect(await apiStdout(orch, id)).toEqual(['over tls']);
    expect(agent.output()).not.toMatch(/unencrypted/);
  });

  it.skipIf(noOpenssl)('clients that do not trust the CA are refused: the agent without --orchestrator-ca or with another CA, a WebSocket client', async () => {
    const dir = tempDir();
    const pki = makeTestPki(dir);
    const orch = await tlsOrchestrator(pki);
    await createGroup(orch, 'g1');
    const register = (extra: string[], name: string) =>
      runFlowhost(['agent', '--orchestrator', orch.url, ...extra, '--group', 'g1', '--group-password-file', passwordFile(dir), '--data-dir', join(dir, name)], { env: pathOnlyEnv(), timeoutMs: 60_000 });
    for (const [extra, name] of [[[], 'system-cas'], [['--orchestrator-ca', pki.otherCaFile], 'other-ca']] as const) {
      const refused = await register([...extra], name);
      expect(refused.code, name).not.toBe(0);
      expect(refused.stderr, name).toMatch(new RegExp(`cannot reach the orchestrator at https://127\\.0\\.0\\.1:\\d+/agent/v1/register: .*(${CERT_REFUSAL.source}).*give the CA that signed it with --orchestrator-ca`, 'i'));
    }
    const socket = new WebSocket(`${orch.url.replace(/^https/, 'wss')}${AGENT_WS_PATH}`);
    const failure = await new Promise<Error>((resolve) => {
      socket.once('error', resolve);
      socket.once('open', () => resolve(new Error('opened')));
    });
    expect(failure.message).toMatch(CERT_REFUSAL);
  });

  it.skipIf(noOpenssl)('flowhost orchestrator --tls-cert/--tls-key serves https and wss; a plain http request gets no answer; a lone flag or a shared key file is said', async () => {
    const dir = tempDir();
    const pki = makeTestPki(dir);
    const token = 'admin-token-over-tls-0123456789';
    const tokenFile = join(dir, 'admin-token');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    chmodSync(pki.keyFile, 0o644);
    const orch = started(startFlowhost(['orchestrator', '--port', '0', '--data-dir', join(dir, 'orch'), '--admin-token-file', tokenFile, '--tls-cert', pki.certFile, '--tls-key', pki.keyFile], { env: pathOnlyEnv() }));
    const out = await orch.waitForOutput(/Web API (https:\S+)\/api\/data\/v9\.2\/ {2}agents wss:\S+\/agent\/v1/);
    const url = /Web API (https:\S+)\/api/.exec(out)![1]!;
    expect(out).toContain(`the TLS key file ${pki.keyFile} may be read by group or others (mode 0644)`);
    expect((await callApi(url, token, 'GET', 'flowmachinegroups', undefined, {}, pki.caPem)).status).toBe(200);
    await expect(callApi(url.replace(/^https/, 'http'), token, 'GET', 'flowmachinegroups', undefined)).rejects.toThrow();

    const lone = await runFlowhost(['orchestrator', '--port', '0', '--data-dir', join(dir, 'orch2'), '--tls-cert', pki.certFile], { env: pathOnlyEnv(), timeoutMs: 60_000 });
    expect(lone.code).toBe(2);
    expect(lone.stderr).toContain('serving TLS needs both --tls-cert and --tls-key');
    const mismatched = await runFlowhost(['orchestrator', '--port', '0', '--data-dir', join(dir, 'orch3'), '--tls-cert', pki.certFile, '--tls-key', join(dir, 'flowhost-other-ca.key')], {
      env: pathOnlyEnv(),
      timeoutMs: 60_000,
    });
    expect(mismatched.code).toBe(2);
    expect(mismatched.stderr).toContain('do not make a usable TLS identity');
  });

  it('an agent given a plain http:// orchestrator that is not loopback warns once at start, before it sends the password', async () => {
    const dir = tempDir();
    // TEST-NET-1 (RFC 5737): never answers; the warning comes before the registration request.
    const agent = started(startFlowhost(['agent', '--orchestrator', 'http://192.0.2.1:7780', '--group', 'g1', '--group-password-file', passwordFile(dir), '--data-dir', join(dir, 'data')], { env: pathOnlyEnv() }));
    const out = await agent.waitForOutput(/unencrypted/);
    expect(out).toMatch(/the orchestrator 192\.0\.2\.1:7780 is reached over plain http: .* unencrypted; give an https:\/\/ orchestrator URL/);
    expect(out.match(/unencrypted/g)).toHaveLength(1);
    await agent.stop('SIGKILL');
  });
});
