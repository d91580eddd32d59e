import { existsSync, mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Static } from '@sinclair/typebox';
import { SessionStatus } from '../../shared/option-sets.js';
import type { Assign, LogLine } from '../../shared/protocol.js';
import type { AgentStore } from '../agent/store/agent-store.js';
import { dataDirFiles } from '../agent/data-dir.js';
import { createAgentLogger } from '../agent/logger.js';
import { addSettingOptions } from './agent-options.js';
import { configOrUsageError } from './agent-command.js';
import { CommandError, ExitCode } from './exit-codes.js';
import { buildInputs, loadWorkflowFile, secretInputNames, type LocalWorkflow } from './workflow-file.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function runCommand(): Command {
  const command = new Command('run')
    .description('Run a flow on this machine now (run mode Local), without an orchestrator; prints its logs live and the result.')
    .argument('<workflow>', 'workflow file (.json: a workflow record with clientdata, or a bare flow definition)')
    .addOption(new Option('--input <name=value>', 'an input (repeatable)').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
    .addOption(new Option('--inputs-file <file>', 'inputs as a JSON object (--input values override it)'))
    .addOption(
      new Option('--timeout <seconds>', 'run timeout').default(10_800).argParser((v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new InvalidArgumentError(`timeout must be an integer 1..86400 (seconds), got '${v}'.`);
        return n;
      }),
    );
  addSettingOptions(command, ['dataDir', 'sampleIntervalMs', 'logLevel']);
  return command.action(async (workflow: string, opts: Record<string, unknown>) => {
    process.exitCode = await runLocal(workflow, opts);
  });
}

async function runLocal(target: string, opts: Record<string, unknown>): Promise<number> {
  const config = configOrUsageError(opts);
  if (!existsSync(target) && UUID.test(target)) {
    throw new CommandError(`running a workflow by id (${target}) needs its definition from the orchestrator, which 'flowhost run' cannot fetch yet; save the workflow record as JSON and run the file`, ExitCode.Usage);
  }
  const workflow = loadWorkflowFile(target);
  const inputs = buildInputs((opts['input'] as string[] | undefined) ?? [], opts['inputsFile'] as string | undefined, workflow.inputschema);
  const secretInputs = secretInputNames(workflow.inputschema);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const files = dataDirFiles(config.dataDir);
  const log = createAgentLogger({ file: files.agentLog, level: config.logLevel, console: config.logLevel === 'debug' });
  for (const name of secretInputs) if (typeof inputs[name] === 'string') log.secrets.add(inputs[name]);
  const [{ AgentStore }, { SessionHost }, { Sampler }] = await Promise.all([
    import('../agent/store/agent-store.js'),
    import('../agent/session-host.js'),
    import('../agent/sampler.js'),
  ]);
  const store = AgentStore.open(files.store);
  const sampler = new Sampler({ intervalMs: config.sampleIntervalMs });
  try {
    const sessionId = randomUUID();
    store.recordAssignment(assignFrame(sessionId, workflow, inputs, secretInputs, opts['timeout'] as number));
    store.markConfirmed(sessionId);
    const host = new SessionHost({ store, dataDir: config.dataDir, logger: log.logger, sampler });
    process.stdout.write(`session ${sessionId} (${workflow.name}) running locally; data dir ${config.dataDir}\n`);
    return await followToEnd(store, host, sessionId, log.secrets.mask.bind(log.secrets));
  } finally {
    sampler.stop();
    store.close();
    await log.close();
  }
}

function assignFrame(sessionId: string, workflow: LocalWorkflow, inputs: Record<string, unknown>, secretInputs: string[], timeout: number): Static<typeof Assign> {
  return {
    type: 'assign',
    session: { flowsessionid: sessionId, name: workflow.name, workflowid: workflow.workflowid ?? randomUUID(), runmode: 0, priority: 0, timeout, createdon: new Date().toISOString() },
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
