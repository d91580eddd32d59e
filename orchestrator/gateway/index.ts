import type { FastifyInstance } from 'fastify';
import type { OrchestratorContext, SessionQueue } from '../context.js';

export interface AgentGatewayOptions {
  /** Heartbeat (WebSocket ping) interval; a peer silent for 2 intervals is dropped. Default 30 s. */
  readonly heartbeatIntervalMs?: number;
  /** How often the queue re-checks timeouts and scheduled sessions. Default 1 s. */
  readonly queueTickMs?: number;
}

export interface AgentGateway {
  readonly queue: SessionQueue;
  close(): Promise<void>;
}

/**
 * Registers `POST /agent/v1/register` and the WebSocket `/agent/v1` on `app`, and creates the session queue.
 * STUB: the gateway/queue helper replaces this body.
 */
export async function registerAgentGateway(app: FastifyInstance, ctx: OrchestratorContext, options: AgentGatewayOptions = {}): Promise<AgentGateway> {
  void app;
  void ctx;
  void options;
  throw new Error('agent gateway not implemented yet');
}
