import type { TSchema } from '@sinclair/typebox';
import { wireEventsProblem } from './log-chunk.js';
import * as P from './protocol.js';
import { validator, type Validator } from './validate.js';

/**
 * Decodes one WebSocket text frame by its `type`, so the error names the right schema's problem
 * (a union of all frames would report every alternative's mismatch).
 */
function codec<F extends { type: string }>(schemas: readonly TSchema[], check: (frame: F) => string | undefined = () => undefined) {
  const byType = new Map<string, Validator<F>>();
  for (const schema of schemas) {
    const type = (schema as unknown as { properties: { type: { const: string } } }).properties.type.const;
    byType.set(type, validator(schema) as Validator<F>);
  }
  return (text: string): { ok: true; frame: F } | { ok: false; error: string } => {
    if (text.length > P.MAX_FRAME_BYTES) return { ok: false, error: `frame larger than ${P.MAX_FRAME_BYTES} bytes` };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, error: 'frame is not valid JSON' };
    }
    const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
    const v = typeof type === 'string' ? byType.get(type) : undefined;
    if (!v) return { ok: false, error: `unknown frame type ${JSON.stringify(type ?? null)}` };
    if (!v.check(value)) return { ok: false, error: `invalid ${type} frame: ${v.errors('frame').join('; ')}` };
    const problem = check(value);
    if (problem !== undefined) return { ok: false, error: `invalid ${type} frame: ${problem}` };
    return { ok: true, frame: value };
  };
}

/** What a schema cannot say of an agent frame: a log chunk's times and lines agree (shared/log-chunk.ts). */
const agentFrameProblem = (f: P.AgentFrame): string | undefined =>
  f.type === 'event' ? wireEventsProblem([f.event]) : f.type === 'events' ? wireEventsProblem(f.events) : undefined;

export const decodeAgentFrame = codec<P.AgentFrame>([P.Hello, P.StateFrame, P.Accept, P.Reject, P.EventFrame, P.EventsFrame], agentFrameProblem);
export const decodeOrchestratorFrame = codec<P.OrchestratorFrame>([
  P.Welcome,
  P.Assign,
  P.Confirm,
  P.Revoke,
  P.Ack,
  P.Cancel,
  P.Pause,
  P.Resume,
  P.Drain,
  P.ErrorFrame,
  P.CallbackKeyFrame,
]);

/**
 * The session id of an `assign` frame that does not decode (a flow kind or field this side does not know), so the
 * offer can be rejected instead of closing the socket; undefined for any other frame.
 */
export function unreadableOffer(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || (value as { type?: unknown }).type !== 'assign') return undefined;
  const session = (value as { session?: unknown }).session;
  const id = typeof session === 'object' && session !== null ? (session as { flowsessionid?: unknown }).flowsessionid : undefined;
  return typeof id === 'string' && UUID.test(id) ? id : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const encodeFrame = (frame: P.AgentFrame | P.OrchestratorFrame): string => JSON.stringify(frame);
