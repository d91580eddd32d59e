import { AGENT_WORKFLOWS_PATH, AgentWorkflow } from '../../../shared/protocol.js';
import { validator } from '../../../shared/validate.js';
import { httpExchange, type HttpAnswer, type HttpExchangeOptions } from '../../../node-shared/http-exchange.js';
import { firstAnswer } from './instance-exchange.js';
import { parseOrchestratorList } from './orchestrator-url.js';

export class WorkflowFetchError extends Error {
  override readonly name = 'WorkflowFetchError';
}

export interface WorkflowFetchOptions {
  /** The orchestrator the machine is registered with: its instances' base URLs, `URL[,URL…]`. */
  readonly orchestrator: string;
  readonly flowmachineid: string;
  readonly credential: string;
  readonly workflowId: string;
  /** PEM CA an https orchestrator's certificate must chain to (--orchestrator-ca). */
  readonly ca?: string;
  /** Default 15 s. */
  readonly timeoutMs?: number;
}

const workflow = validator(AgentWorkflow);

/** Reads one workflow from the orchestrator with the machine credential (`flowhost run <workflow id>`). */
export async function fetchWorkflow(o: WorkflowFetchOptions): Promise<AgentWorkflow> {
  const exchange: HttpExchangeOptions = {
    headers: { authorization: `Bearer ${o.flowmachineid}.${o.credential}`, accept: 'application/json' },
    timeoutMs: o.timeoutMs ?? 15_000,
    // A workflow is one record; its clientdata is bounded by the API's body limit.
    maxResponseBytes: 16 * 1024 * 1024,
    ...(o.ca ? { ca: o.ca } : {}),
  };
  let res: HttpAnswer;
  try {
    ({ res } = await firstAnswer(parseOrchestratorList(o.orchestrator), `${AGENT_WORKFLOWS_PATH.slice(1)}/${encodeURIComponent(o.workflowId)}`, (url) => httpExchange(url, exchange)));
  } catch (err) {
    throw new WorkflowFetchError(`${(err as Error).message}: workflow ${o.workflowId} cannot be read; run a workflow file instead, which works offline`);
  }
  const { text } = res;
  if (res.status === 404) throw new WorkflowFetchError(`the orchestrator at ${o.orchestrator} has no workflow ${o.workflowId}`);
  if (res.status === 401 || res.status === 403) {
    throw new WorkflowFetchError(`the orchestrator at ${o.orchestrator} refused this machine's credential (HTTP ${res.status}); register the machine again`);
  }
  if (res.status !== 200) throw new WorkflowFetchError(`reading workflow ${o.workflowId} from ${o.orchestrator} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new WorkflowFetchError(`the orchestrator answered workflow ${o.workflowId} with a body that is not JSON`);
  }
  if (!workflow.check(body)) throw new WorkflowFetchError(`the orchestrator answered workflow ${o.workflowId} with an invalid body: ${workflow.errors('workflow').join('; ')}`);
  return body;
}
