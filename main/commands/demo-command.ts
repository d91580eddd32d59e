import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'winston';
import { SessionStatus, WorkflowCategory } from '../../shared/option-sets.js';
import type { Agent } from '../agent/agent.js';
import { readCredentials, writeCredentials, type Credentials } from '../agent/registration/credentials.js';
import { dataDirFiles } from '../agent/config/data-dir.js';
import { createAgentLogger } from '../agent/logging/logger.js';
import { ensureRegistered } from '../agent/registration/registration.js';
import { AGENT_VERSION } from '../agent/agent-from-config.js';
import { DemoApi } from './demo-api.js';
import { CallbackReceiver } from './demo-callback-receiver.js';
import { DEMO_GROUP_NAME, DEMO_MACHINE_NAME, DEMO_WORKFLOW_NAME, demoFlow, demoInputs, demoInputSchema, demoOutputSchema } from './demo-flow.js';
import { describeFigures, followSession, sessionLogs } from './demo-session.js';
import { CommandError, ExitCode } from './exit-codes.js';

/** What the demo needs of a running orchestrator; main/cli.ts adapts the real one to it. */
export interface DemoOrchestrator {
  /** Base URL, e.g. http://127.0.0.1:4567 */
  readonly url: string;
  readonly adminToken: string;
  /** Where the admin token is kept (printed for the newcomer). */
  readonly adminTokenFile: string;
  /** Where the read-only token of `GET /metrics` is kept. */
  readonly metricsTokenFile: string;
  close(): Promise<void>;
}
export type StartDemoOrchestrator = (options: { dataDir: string; host: string; port: number; logger: Logger }) => Promise<DemoOrchestrator>;

export function demoCommand(start: StartDemoOrchestrator | undefined): Command {
  return new Command('demo')
    .description('Start an orchestrator and an agent on this machine, queue a sample flow and show it run (npm start)')
    .addOption(new Option('--data-dir <dir>', 'where both keep their data').default('.flowhost'))
    .addOption(new Option('--port <n>', 'orchestrator port (0 = any free port)').default(0).argParser(port))
    .addOption(new Option('--keep-running', 'leave the orchestrator and the agent up after the demo (Ctrl-C stops them)'))
    .action(async (opts: { dataDir: string; port: number; keepRunning?: boolean }) => {
      if (!start) throw new CommandError('this build has no orchestrator to start', ExitCode.Failure);
      try {
        process.exitCode = await runDemo(start, opts);
      } catch (err) {
        if (err instanceof CommandError) throw err;
        throw new CommandError(`demo failed: ${err instanceof Error ? err.message : String(err)}`, ExitCode.Failure);
      }
    });
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError(`port must be an integer 0..65535, got '${v}'.`);
  return n;
}

interface Running {
  orchestrator?: DemoOrchestrator;
  agent?: Agent;
  receiver?: CallbackReceiver;
}

async function runDemo(start: StartDemoOrchestrator, opts: { dataDir: string; port: number; keepRunning?: boolean }): Promise<number> {
  const root = resolve(opts.dataDir);
  const show = (p: string) => relative(process.cwd(), p) || '.';
  const out = (line = '') => process.stdout.write(`${line}\n`);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const log = createAgentLogger({ file: join(root, 'logs', 'demo.log'), console: false });
  const running: Running = {};
  try {
    out('flowhost demo: an orchestrator and an agent on this machine');
    const orchestrator = await start({ dataDir: join(root, 'orchestrator'), host: '127.0.0.1', port: opts.port, logger: log.logger });
    running.orchestrator = orchestrator;
    const api = new DemoApi(orchestrator.url, orchestrator.adminToken);
    out(`  orchestrator  ${orchestrator.url}  (data: ${show(join(root, 'orchestrator'))})`);
    const agentDir = join(root, 'agent');
    const credentials = await machineCredentials(api, orchestrator.url, agentDir);
    log.secrets.add(credentials.credential);
    log.secrets.add(credentials.callbackSecret);
    const group = await api.request<{ callbacksecret: string }>('GET', `flowmachinegroups(${credentials.flowmachinegroupid ?? ''})?$select=callbacksecret`);
    log.secrets.add(group.callbacksecret);
    const receiver = await CallbackReceiver.start(() => group.callbacksecret);
    running.receiver = receiver;
    running.agent = await startAgent(orchestrator.url, credentials, agentDir, log.logger);
    out(`  agent         machine ${credentials.flowmachineid} in group '${credentials.group}'  (data: ${show(agentDir)})`);
    out(`  callbacks     ${receiver.url}  (a local receiver, allow-listed for the agent)`);
    const ok = await queueAndShow(api, receiver, out);
    printWhereToLook(orchestrator, api, show, out);
    if (opts.keepRunning) await untilSignal(out);
    return ok ? ExitCode.Ok : ExitCode.Failure;
  } finally {
    await running.agent?.stop();
    await running.receiver?.close();
    await running.orchestrator?.close();
    await log.close();
  }
}

/** The demo machine's credential: reused while it belongs to this orchestrator's demo group, else registered anew. */
async function machineCredentials(api: DemoApi, url: string, agentDir: string): Promise<Credentials> {
  const file = dataDirFiles(agentDir).credentials;
  const groupId = await api.findByName('flowmachinegroups', 'flowmachinegroupid', DEMO_GROUP_NAME);
  const stored = existsSync(file) ? readCredentials(file) : undefined;
  if (groupId && stored?.flowmachinegroupid === groupId) return stored;
  // A fresh orchestrator data dir (or another group): the old credential and local store mean nothing there.
  rmSync(agentDir, { recursive: true, force: true });
  const password = randomBytes(18).toString('base64url');
  if (groupId) await api.update('flowmachinegroups', groupId, { password });
  else await api.create('flowmachinegroups', 'flowmachinegroupid', { name: DEMO_GROUP_NAME, password, description: 'created by flowhost demo' });
  const { credentials } = await ensureRegistered({
    credentialsFile: file,
    orchestrator: url,
    group: DEMO_GROUP_NAME,
    groupPassword: password,
    name: DEMO_MACHINE_NAME,
    capacity: 2,
    agentVersion: AGENT_VERSION,
  });
  return credentials;
}

async function startAgent(url: string, credentials: Credentials, dataDir: string, logger: Logger): Promise<Agent> {
  const { Agent } = await import('../agent/agent.js');
  const agent = new Agent({
    orchestratorUrls: [url],
    credentials,
    machineName: DEMO_MACHINE_NAME,
    dataDir,
    capacity: 2,
    sessionUsers: [],
    attendedMode: false,
    sampleIntervalMs: 250,
    callbackAllow: ['127.0.0.1'],
    callbackDelivery: { baseDelayMs: 500, pollIntervalMs: 250 },
    agentVersion: AGENT_VERSION,
    logger,
    onCallbackKey: (key) => writeCredentials(dataDirFiles(dataDir).credentials, { ...credentials, callbackSecret: key }),
  });
  agent.start();
  return agent;
}

async function workflowId(api: DemoApi): Promise<string> {
  const record = { clientdata: JSON.stringify(demoFlow), inputschema: JSON.stringify(demoInputSchema), outputschema: JSON.stringify(demoOutputSchema) };
  const id = await api.findByName('workflows', 'workflowid', DEMO_WORKFLOW_NAME);
  if (!id) return api.create('workflows', 'workflowid', { name: DEMO_WORKFLOW_NAME, category: WorkflowCategory.v.DesktopFlow, ...record });
  await api.update('workflows', id, record);
  return id;
}

async function queueAndShow(api: DemoApi, receiver: CallbackReceiver, out: (line?: string) => void): Promise<boolean> {
  const wf = await workflowId(api);
  const groupId = await api.findByName('flowmachinegroups', 'flowmachinegroupid', DEMO_GROUP_NAME);
  const { flowsessionId } = await api.request<{ flowsessionId: string }>('POST', `workflows(${wf})/Microsoft.Dynamics.CRM.RunDesktopFlow`, {
    runMode: 'unattended',
    runPriority: 'normal',
    machineGroupId: groupId,
    inputs: demoInputs,
    callbackUrl: receiver.url,
  });
  out();
  out(`queued session ${flowsessionId} of workflow '${DEMO_WORKFLOW_NAME}'`);
  const row = await followSession(api, flowsessionId, out);
  const succeeded = row['statuscode'] === SessionStatus.v.Succeeded;
  if (!succeeded) out(`  errorcode ${String(row['errorcode'])}: ${String(row['errormessage'] ?? '')}`);
  out();
  out('figures');
  for (const l of describeFigures(row)) out(l);
  out(`outputs  ${String(row['outputs'] ?? '(none)')}`);
  out('logs (the secret input is masked)');
  for (const l of await sessionLogs(api, flowsessionId)) out(l);
  const callback = await Promise.race([receiver.next(flowsessionId), timeout(30_000)]);
  if (!callback) {
    out('callback  NOT received within 30 s');
    return false;
  }
  out(`callback received  POST ${callback.path}  Idempotency-Key ${callback.idempotencyKey}  signature ${callback.signatureValid ? 'valid' : 'INVALID'}`);
  out(`  ${callback.body}`);
  return succeeded && callback.signatureValid;
}

const timeout = (ms: number) => new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref());

function printWhereToLook(o: DemoOrchestrator, api: DemoApi, show: (p: string) => string, out: (line?: string) => void): void {
  out();
  out('where to look');
  out(`  Web API      ${api.apiRoot}`);
  out(`  admin token  ${show(o.adminTokenFile)}`);
  out(`  try          curl -H "Authorization: Bearer $(cat ${show(o.adminTokenFile)})" '${api.apiRoot}flowsessions?$top=5&$orderby=createdon desc'`);
  out(`  metrics      curl -H "Authorization: Bearer $(cat ${show(o.metricsTokenFile)})" ${o.url}/metrics`);
}

function untilSignal(out: (line?: string) => void): Promise<void> {
  out();
  out('orchestrator and agent keep running; Ctrl-C stops them');
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
