import { Command, InvalidArgumentError, Option } from 'commander';
import { SessionStatus, isTerminalStatus } from '../../shared/option-sets.js';
import { CommandError, ExitCode } from './exit-codes.js';

/** Exit codes of `flowhost child run --wait` beyond 0 (Succeeded), 1 (the child failed, or the API refused) and 2 (usage). */
export const ChildExit = { Cancelled: 3, TimedOut: 4, WaitTimeout: 5 } as const;

/** The variables the agent gives a flow that may start children (docs/flows.md). */
export const SESSION_TOKEN_ENV = 'FLOWHOST_SESSION_TOKEN';
export const API_URL_ENV = 'FLOWHOST_API_URL';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ERROR_CHARS = 2000;

export interface ChildRunOptions {
  readonly input?: readonly string[];
  readonly orphan?: boolean;
  readonly wait?: boolean;
  readonly timeout?: number;
}

export interface ChildRunIo {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  /** Waits before the next poll (tests pass a shorter one). */
  readonly pause?: (ms: number) => Promise<void>;
}

export function childCommand(): Command {
  const run = new Command('run')
    .description(`Start a child session of the session this runs in (needs ${SESSION_TOKEN_ENV} and ${API_URL_ENV}, which the agent gives a flow); prints its id, or with --wait its outputs`)
    .argument('<workflow-id>', 'the workflow the child runs')
    .addOption(new Option('--input <name=value...>', 'an input of the child (a string; repeatable)'))
    .addOption(new Option('--orphan', 'the child keeps running when this session is cancelled or ends'))
    .addOption(new Option('--wait', 'wait until the child ends; print its outputs JSON; exit 0 Succeeded, 1 failed, 3 Cancelled, 4 TimedOut, 5 --timeout passed'))
    .addOption(new Option('--timeout <seconds>', 'with --wait: give up waiting after this long (the child keeps running)').argParser(positiveSeconds))
    .action(async (workflowId: string, opts: ChildRunOptions) => {
      process.exitCode = await childRun(workflowId, opts, { env: process.env, out: (t) => process.stdout.write(t) });
    });
  return new Command('child').description('Child sessions of the session a flow runs in').addCommand(run);
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400 * 7) throw new InvalidArgumentError('a number of seconds above 0 and at most 604800');
  return n;
}

/** `name=value` pairs as the child's inputs object. */
export function parseInputs(pairs: readonly string[] = []): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CommandError(`--input '${pair.slice(0, 100)}' is not name=value`, ExitCode.Usage);
    inputs[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return inputs;
}

/** Starts the child (and waits for it with --wait); returns the exit code. */
export async function childRun(workflowId: string, opts: ChildRunOptions, io: ChildRunIo): Promise<number> {
  const token = io.env[SESSION_TOKEN_ENV];
  const apiUrl = io.env[API_URL_ENV];
  if (!token || !apiUrl) throw new CommandError(`not inside a session: ${SESSION_TOKEN_ENV} and ${API_URL_ENV} are set only for a flow the agent runs`, ExitCode.Usage);
  if (!GUID.test(workflowId)) throw new CommandError(`'${workflowId.slice(0, 100)}' is not a workflow id (a GUID)`, ExitCode.Usage);
  if (opts.timeout !== undefined && !opts.wait) throw new CommandError('--timeout needs --wait', ExitCode.Usage);
  const api = new ChildApi(apiUrl.replace(/\/+$/, ''), token);
  const body = { inputs: parseInputs(opts.input), ...(opts.orphan ? { orphan: true } : {}) };
  const started = (await api.call('POST', `/workflows(${workflowId})/Microsoft.Dynamics.CRM.RunDesktopFlow`, body)) as { flowsessionId?: unknown };
  const childId = String(started.flowsessionId);
  if (!opts.wait) {
    io.out(`${JSON.stringify({ flowsessionId: childId })}\n`);
    return ExitCode.Ok;
  }
  const deadline = opts.timeout === undefined ? Infinity : Date.now() + opts.timeout * 1000;
  const pause = io.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let delay = 250; ; delay = Math.min(delay * 2, 2000)) {
    const row = (await api.call('GET', `/flowsessions(${childId})?$select=statuscode,outputs,errorcode,errormessage`)) as Record<string, unknown>;
    const status = Number(row['statuscode']);
    if (isTerminalStatus(status)) return ended(childId, status, row, io);
    if (Date.now() + delay > deadline) {
      process.stderr.write(`flowhost child run: child ${childId} has not ended after ${opts.timeout} s; it keeps running\n`);
      return ChildExit.WaitTimeout;
    }
    await pause(delay);
  }
}

function ended(childId: string, status: number, row: Record<string, unknown>, io: ChildRunIo): number {
  io.out(`${typeof row['outputs'] === 'string' && row['outputs'] !== '' ? row['outputs'] : '{}'}\n`);
  if (status === SessionStatus.v.Succeeded) return ExitCode.Ok;
  const why = [row['errorcode'], row['errormessage']].filter((v) => typeof v === 'string' && v !== '').join(': ');
  process.stderr.write(`flowhost child run: child ${childId} ended ${SessionStatus.labels.get(status) ?? status}${why ? ` (${why.slice(0, MAX_ERROR_CHARS)})` : ''}\n`);
  if (status === SessionStatus.v.Cancelled) return ChildExit.Cancelled;
  if (status === SessionStatus.v.TimedOut) return ChildExit.TimedOut;
  return ExitCode.Failure;
}

/** The Web API as a session token may use it; an error answer becomes a CommandError with the API's message. */
class ChildApi {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new CommandError(`the orchestrator at ${this.base} could not be reached: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.ok) return text === '' ? {} : (JSON.parse(text) as unknown);
    let message = text.slice(0, MAX_ERROR_CHARS);
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (parsed.error?.message) message = `${parsed.error.code ?? ''}: ${parsed.error.message}`.slice(0, MAX_ERROR_CHARS);
    } catch {
      // Not JSON: the text as it came.
    }
    const hint = res.status === 401 ? ' (the session this runs in has ended, or the token is not its)' : '';
    throw new CommandError(`${method} ${path.split('?')[0]} answered ${res.status}: ${message}${hint}`);
  }
}
