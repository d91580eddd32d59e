import { arch, platform, release } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { AGENT_REGISTER_PATH, RegisterResponse, type RegisterRequest } from '../../../shared/protocol.js';
import { validator } from '../../../shared/validate.js';
import { chmodSync } from 'node:fs';
import { readCredentials, writeCredentials, type Credentials } from './credentials.js';
import { excessPermissions } from '../../../node-shared/private-file.js';
import { httpExchange, type HttpAnswer, type HttpExchangeOptions } from '../../../node-shared/http-exchange.js';
import { firstAnswer } from './instance-exchange.js';
import { formatOrchestratorList, parseOrchestratorList, plainTextWarningOf, sameOrchestrator } from './orchestrator-url.js';

export class RegistrationError extends Error {
  override readonly name = 'RegistrationError';
}

export interface RegistrationOptions {
  /** `<dataDir>/credentials.json`. */
  readonly credentialsFile: string;
  /** The orchestrator's instances, `URL[,URL…]`. */
  readonly orchestrator?: string | undefined;
  readonly group?: string | undefined;
  readonly groupPassword?: string | undefined;
  readonly name: string;
  readonly capacity: number;
  readonly agentVersion: string;
  readonly timeoutMs?: number;
  /** PEM CA an https orchestrator's certificate must chain to (--orchestrator-ca). */
  readonly orchestratorCa?: string | undefined;
  /** Called with a warning (e.g. too wide file permissions). */
  readonly warn?: (message: string) => void;
}

const response = validator(RegisterResponse);
/** Attempts while the orchestrator answers 503 (busy checking other registrations), and the longest wait between. */
const BUSY_ATTEMPTS = 5;
const MAX_BUSY_WAIT_MS = 30_000;

/** `Retry-After` in seconds (the orchestrator's form), capped; 1 s when absent or not a number. */
function retryAfterMs(header: string | undefined): number {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_BUSY_WAIT_MS) : 1000;
}

/**
 * Returns the stored credentials, registering the machine first when there are none. Warns (once, before any
 * request) when the orchestrator is reached unencrypted over the network.
 */
export async function ensureRegistered(options: RegistrationOptions): Promise<{ credentials: Credentials; registered: boolean }> {
  const stored = readCredentials(options.credentialsFile);
  const given = options.orchestrator === undefined ? undefined : orchestratorList(options.orchestrator);
  const clear = plainTextWarningOf(stored ? orchestratorList(stored.orchestrator) : (given ?? []));
  if (clear) options.warn?.(clear);
  if (stored) {
    if (given && !sameOrchestrator(given, orchestratorList(stored.orchestrator))) {
      throw new RegistrationError(
        `this machine is registered with ${stored.orchestrator}, not ${options.orchestrator}; remove ${options.credentialsFile} to register it again`,
      );
    }
    const wide = excessPermissions(options.credentialsFile);
    if (wide) {
      chmodSync(options.credentialsFile, 0o600);
      options.warn?.(`${options.credentialsFile} was readable by others (mode bits 0${wide.toString(8)} beyond 0600); set it to 0600`);
    }
    return { credentials: stored, registered: false };
  }
  const credentials = await register(options);
  writeCredentials(options.credentialsFile, credentials);
  return { credentials, registered: true };
}

/** POSTs /agent/v1/register; every failure becomes a RegistrationError that says what to do. */
export async function register(options: RegistrationOptions): Promise<Credentials> {
  const { orchestrator, group, groupPassword } = options;
  const missing = [!orchestrator && '--orchestrator', !group && '--group', !groupPassword && '--group-password-file (or --group-password)'].filter(Boolean);
  if (!orchestrator || !group || !groupPassword) {
    throw new RegistrationError(`this machine is not registered yet: ${missing.join(', ')} required for the first start`);
  }
  const instances = orchestratorList(orchestrator);
  const body: RegisterRequest = {
    group,
    password: groupPassword,
    name: options.name,
    os: `${platform()} ${release()} ${arch()}`.slice(0, 256),
    agentVersion: options.agentVersion,
    capacity: options.capacity,
  };
  const exchange: HttpExchangeOptions = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: options.timeoutMs ?? 30_000, ...(options.orchestratorCa ? { ca: options.orchestratorCa } : {}) };
  let answer: { res: HttpAnswer; url: string };
  try {
    answer = await firstAnswer(instances, AGENT_REGISTER_PATH.slice(1), (url) => exchangeWhileBusy(url, exchange));
  } catch (err) {
    throw new RegistrationError((err as Error).message);
  }
  const { res, url } = answer;
  const text = res.text;
  if (res.status < 200 || res.status > 299) throw new RegistrationError(failureMessage(res, text, group));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RegistrationError(`the orchestrator at ${url} answered ${res.status} with a body that is not JSON`);
  }
  if (!response.check(parsed)) throw new RegistrationError(`unexpected registration response: ${response.errors('response').join('; ')}`);
  return {
    flowmachineid: parsed.flowmachineid,
    flowmachinegroupid: parsed.flowmachinegroupid,
    credential: parsed.credential,
    callbackSecret: parsed.callbackSecret,
    orchestrator: formatOrchestratorList(instances),
    group,
  };
}

function orchestratorList(text: string): string[] {
  try {
    return parseOrchestratorList(text);
  } catch (err) {
    throw new RegistrationError((err as Error).message);
  }
}

/** 503: the orchestrator checks only a few group passwords at once (a register storm); wait as it says and retry. */
async function exchangeWhileBusy(url: string, exchange: HttpExchangeOptions): Promise<HttpAnswer> {
  for (let attempt = 1; ; attempt++) {
    const res = await httpExchange(url, exchange);
    if (res.status !== 503 || attempt >= BUSY_ATTEMPTS) return res;
    await delay(retryAfterMs(res.header('retry-after')));
  }
}

function failureMessage(res: HttpAnswer, text: string, group: string): string {
  const detail = errorDetail(text);
  if (res.status === 401 || res.status === 403) return `registration refused: wrong group name or group password for group '${group}'${detail}`;
  if (res.status === 404) return `registration failed: the orchestrator does not know group '${group}'${detail}`;
  if (res.status === 429) {
    const after = res.header('retry-after');
    return `registration refused: too many attempts; retry${after ? ` after ${after} s` : ' later'}${detail}`;
  }
  return `registration failed with HTTP ${res.status}${detail}`;
}

function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.message === 'string') return ` (${body.error.message})`;
  } catch {
    // not JSON: no detail to add
  }
  return '';
}
