import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Static } from '@sinclair/typebox';
import { RunMode, SessionStatus } from '../../shared/option-sets.js';
import type { Assign, LogLine } from '../../shared/protocol.js';
import type { AgentStore } from '../agent/store/agent-store.js';
import { CredentialsError, readCredentials, type Credentials } from '../agent/registration/credentials.js';
import { dataDirFiles } from '../agent/config/data-dir.js';
import { fetchWorkflow, WorkflowFetchError } from '../agent/registration/workflow-fetch.js';
import { readOrchestratorCa } from '../agent/config/file-settings.js';
import { createAgentLogger } from '../agent/logging/logger.js';
import { addSettingOptions } from './agent-options.js';
import { configOrUsageError, configWithFiles, openPrivateDataDir } from './agent-command.js';
import { CommandError, ExitCode } from './exit-codes.js';
import { secretInputsOf, secretValues } from '../../shared/secret-mask.js';
import { buildInputs, loadWorkflowFile, workflowFromRecord, type LocalWorkflow } from './workflow-file.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function runCommand(): Command {
  const command = new Command('run')
    .description(
      'Run a flow on this machine now (run mode Local); prints its logs live and the result. Works offline: the agent on this data dir reports the run to the orchestrator when it is connected.',
    )
    .argument('<workflow>', "workflow file (.json: a workflow record with clientdata, or a bare flow definition), or a workflow id to read from the machine's orchestrator")
    .addOption(new Option('--input <name=value>', 'an input (repeatable)').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
    .addOption(new Option('--inputs-file <file>', 'inputs as a JSON object (--input values override it)'))
    .addOption(
      new Option('--timeout <seconds>', 'run timeout').default(10_800).argParser((v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new InvalidArgumentError(`timeout must be an integer 1..86400 (seconds), got '${v}'.`);
        return n;
      }),
    );
  addSettingOptions(command, ['dataDir', 'orchestratorCa', 'sampleIntervalMs', 'logLevel']);
  return command.action(async (workflow: string, opts: Record<string, unknown>) => {
    process.exitCode = await runLocal(workflow, opts);
  });
}

async function runLocal(target: string, opts: Record<string, unknown>): Promise<number> {
  const config = await configWithFiles(configOrUsageError(opts));
  const files = dataDirFiles(config.dataDir);
  const credentials = readMachineCredentials(files.credentials);
  const ca = config.orchestratorCa === undefined ? undefined : readOrchestratorCa(config.orchestratorCa);
  const workflow = !existsSync(target) && UUID.test(target) ? await workflowById(target, credentials, files.credentials, ca) : loadWorkflowFile(target);
  const inputs = buildInputs((opts['input'] as string[] | undefined) ?? [], opts['inputsFile'] as string | undefined, workflow.inputschema);
  const secretInputs = secretInputsOf(workflow.inputschema, inputs);
  const notices: string[] = [];
  openPrivateDataDir(config.dataDir, (m) => notices.push(m));
  const log = createAgentLogger({ file: files.agentLog, level: config.logLevel, console: config.logLevel === 'debug' });
  for (const notice of notices) log.logger.warn(notice);
  for (const value of secretValues(JSON.stringify(inputs), secretInputs)) log.secrets.add(value);
  const [{ AgentStore }, { openStoreForMachine }, { SessionHost }, { Sampler }] = await Promise.all([
    import('../agent/store/agent-store.js'),
    import('../agent/store/store-identity.js'),
    import('../agent/runner/session-host.js'),
    import('../agent/runner/sampler.js'),
  ]);
  // The agent (now or later, on this data dir) reports the run upstream from the outbox.
  const store = credentials
    ? openStoreForMachine(files.store, credentials.flowmachineid, { warn: (m) => log.logger.warn(m) })
    : AgentStore.open(files.store);
  const sampler = new Sampler({ intervalMs: config.sampleIntervalMs });
  try {
    const sessionId = randomUUID();
    const workflowid = workflow.workflowid !== undefined && UUID.test(workflow.workflowid) ? workflow.workflowid : undefined;
    store.recordLocalSession(assignFrame(sessionId, workflow, inputs, secretInputs, opts['timeout'] as number, workflowid), workflowid ? { workflowid } : {});
    const host = new SessionHost({ store, dataDir: config.dataDir, logger: log.logger, sampler });
    process.stdout.write(`session ${sessionId} (${workflow.name}) running locally; data dir ${config.dataDir}\n`);
    return await followToEnd(store, host, sessionId, log.secrets.mask.bind(log.secrets));
  } finally {
    sampler.stop();
    store.close();
    await log.close();
  }
}

function readMachineCredentials(file: string): Credentials | undefined {
  try {
    return readCredentials(file);
  } catch (err) {
    if (err instanceof CredentialsError) throw new CommandError(err.message, ExitCode.Failure);
    throw err;
  }
}

/** `flowhost run <workflow id>`: the workflow comes from the orchestrator this machine is registered with. */
async function workflowById(id: string, credentials: Credentials | undefined, credentialsFile: string, ca: string | undefined): Promise<LocalWorkflow> {
  if (!credentials) {
    throw new CommandError(
      `running workflow ${id} by id needs this machine's registration (${credentialsFile} is missing): start 'flowhost agent' once to register it, or run a workflow file`,
      ExitCode.Usage,
    );
  }
  try {
    const wf = await fetchWorkflow({ orchestrator: credentials.orchestrator, flowmachineid: credentials.flowmachineid, credential: credentials.credential, workflowId: id, ...(ca ? { ca } : {}) });
    return workflowFromRecord(wf, `${id} from ${credentials.orchestrator}`);
  } catch (err) {
    if (err instanceof WorkflowFetchError) throw new CommandError(err.message, ExitCode.Failure);
    throw err;
  }
}

function assignFrame(
  sessionId: string,
  workflow: LocalWorkflow,
  inputs: Record<string, unknown>,
  secretInputs: string[],
  timeout: number,
  workflowid: string | undefined,
): Static<typeof Assign> {
  return {
    type: 'assign',
    session: { flowsessionid: sessionId, name: workflow.name.slice(0, 400), workflowid: workflowid ?? randomUUID(), runmode: RunMode.v.Local, priority: 0, timeout, createdon: new Date().toISOString() },
    flow: workflow.flow,
    inputs: JSON.stringify(inputs),
    secretInputs,
    ...(workflow.outputschema ? { outputschema: workflow.outputschema } : {}),
  };
}

/** Starts the session, prints new log lines as they are committed, and resolves with the exit code at its end. */
function followToEnd(
  store: AgentStore,
  host: { start(id: string): void; cancel(id: string, reason: 'cancelled'): void; onChange(l: () => void): () => void },
  sessionId: string,
  mask: (text: string) => string,
): Promise<number> {
  return new Promise((resolve) => {
    let printed = -1;
    const printNew = () => {
      const fresh = store.logTail(sessionId, 5000).filter((l: LogLine) => l.seq > printed);
      for (const line of fresh) {
        (line.stream === 'stderr' ? process.stderr : process.stdout).write(`  ${mask(line.message)}\n`);
        printed = line.seq;
      }
    };
    const check = () => {
      printNew();
      const s = store.getSession(sessionId);
      if (!s || s.stage !== 'completed') return;
      offEvent();
      offHost();
      process.off('SIGINT', onInt);
      const status = SessionStatus.labels.get(s.statuscode) ?? String(s.statuscode);
      process.stdout.write(`session ${sessionId}: ${status}${s.errorcode ? ` (${s.errorcode}${s.errormessage ? `: ${mask(s.errormessage)}` : ''})` : ''}\n`);
      if (s.outputs) process.stdout.write(`outputs: ${mask(s.outputs)}\n`);
      if (s.machinepercentcpuusage !== undefined) {
        process.stdout.write(`machine CPU avg ${s.machinepercentcpuusage.toFixed(1)} %, RAM avg ${(s.machinepercentramusage ?? 0).toFixed(1)} %, peak ${Math.round(s.machineramusage ?? 0)} MB\n`);
      }
      resolve(s.statuscode === SessionStatus.v.Succeeded ? ExitCode.Ok : ExitCode.Failure);
    };
    const onInt = () => host.cancel(sessionId, 'cancelled');
    const offEvent = store.onEvent(check);
    const offHost = host.onChange(check);
    process.on('SIGINT', onInt);
    host.start(sessionId);
    check();
  });
}
