import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeAgentFrame } from '../../shared/protocol-codec.js';
import { CloseCode, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../shared/protocol.js';
import { entities } from '../../shared/records/index.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../support/orchestrator-harness.js';
import { agentState, registerMachine, wsUrl } from '../support/fake-agent.js';

/**
 * Every agent → orchestrator frame type, mutated or replaced by garbage (fast-check, fixed seed): the
 * orchestrator closes the connection with 4000 (1009 when oversize), the store keeps the same rows, and a
 * good client is still served afterwards.
 */
let orch: TestOrchestrator;
let auth = '';
const SESSION = '6f1c1a52-7d7e-4c55-9d7a-2d0f0e3b9a11';

beforeAll(async () => {
  orch = await startTestOrchestrator({ clock: TestClock.manual(), gateway: { helloTimeoutMs: 2000 } });
  await orch.group('g1');
  const reg = await registerMachine(orch.url, { group: 'g1', password: 'group-password', name: 'hostile' });
  auth = `Bearer ${reg.flowmachineid}.${reg.credential}`;
});
afterAll(async () => orch.close());

const hello = () => ({ type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: '1', os: 'linux', lastAckedSeq: 0, state: agentState(), activeSessions: [] });
const now = new Date().toISOString();
const validFrames: Record<string, Record<string, unknown>> = {
  hello: hello(),
  state: { type: 'state', state: agentState() },
  accept: { type: 'accept', sessionId: SESSION },
  reject: { type: 'reject', sessionId: SESSION, errorcode: 'NoFreeSlot', message: 'busy' },
  event: { type: 'event', event: { seq: 1, sessionId: SESSION, at: now, kind: 'log', lines: [{ seq: 0, level: 100000002, stream: 'stdout', at: now, message: 'x' }] } },
  events: { type: 'events', events: [{ seq: 1, sessionId: SESSION, at: now, kind: 'log', lines: [{ seq: 0, level: 100000002, stream: 'stdout', at: now, message: 'x' }] }] },
};

async function rowCounts(): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(Object.values(entities).map(async (e) => [e.set, await orch.store.records.count(e)] as const)));
}

/** Opens an authenticated socket, optionally says hello, sends `payload`, resolves with the close code and reason. */
function sendAndClose(payload: string | Buffer, afterHello: boolean): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(orch.url), { headers: { authorization: auth } });
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    ws.on('open', () => {
      if (!afterHello) return ws.send(payload);
      ws.send(JSON.stringify(hello()));
      ws.once('message', () => ws.send(payload));
    });
    setTimeout(() => reject(new Error('the orchestrator kept a connection open after an invalid frame')), 5000).unref();
  });
}

/** A mutation of a valid frame: a field replaced by any JSON value, removed, or an unknown field added. */
const mutatedFrame = fc
  .tuple(fc.constantFrom(...Object.keys(validFrames)), fc.nat(), fc.oneof(fc.constant('replace'), fc.constant('delete'), fc.constant('add'), fc.constant('deep')), fc.jsonValue())
  .map(([type, pick, how, value]) => {
    const frame = structuredClone(validFrames[type]!);
    const keys = Object.keys(frame);
    const key = keys[pick % keys.length]!;
    if (how === 'replace') frame[key] = value;
    else if (how === 'delete') delete frame[key];
    else if (how === 'add') frame[`x${pick}`] = value;
    else {
      const inner = frame['event'] ?? frame['state'];
      if (inner && typeof inner === 'object') (inner as Record<string, unknown>)[Object.keys(inner)[pick % Object.keys(inner).length]!] = value;
      else frame[key] = value;
    }
    return JSON.stringify(frame);
  });

/** Long and non-ASCII text (2-, 3- and 4-byte characters, quotes, escapes): an error naming it passes 123 bytes. */
const hostileText = fc.string({ unit: fc.constantFrom('é', '€', '😀', 'a', '"', '\\'), minLength: 40, maxLength: 400 });

/** A valid frame with an unknown key of hostile text, or one of its fields replaced by hostile text. */
const hostileKeyOrString = fc
  .tuple(fc.constantFrom(...Object.keys(validFrames)), fc.boolean(), hostileText, fc.oneof(hostileText, fc.jsonValue()), fc.nat())
  .map(([type, asKey, text, value, pick]) => {
    const frame = structuredClone(validFrames[type]!);
    const keys = Object.keys(frame).filter((k) => k !== 'type');
    if (asKey) frame[text] = value;
    else frame[keys[pick % keys.length]!] = text;
    return JSON.stringify(frame);
  });

const garbage = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.jsonValue().map((v) => JSON.stringify(v)), fc.constant('{"type":"hello"'), fc.constant(''));

describe('hostile input: agent → orchestrator frames', () => {
  it('every mutated or garbage frame closes the connection with 4000 and leaves the store unchanged; a good client is still served', async () => {
    const before = await rowCounts();
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedFrame, garbage, hostileKeyOrString, fc.constant(`{"type":"accept","sessionId":"${SESSION}","${'é'.repeat(60)}":1}`)), fc.boolean(), async (text, afterHello) => {
        fc.pre(!decodeAgentFrame(text).ok);
        tried += 1;
        const closed = await sendAndClose(text, afterHello);
        expect(closed.code).toBe(CloseCode.InvalidFrame);
        expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
      }),
      { seed: 42, numRuns: 140 },
    );
    expect(tried).toBeGreaterThan(60);
    expect(await rowCounts()).toEqual(before);
    const good = await orch.connect(auth.slice(7).split('.')[0]!, auth.slice(7).split('.').slice(1).join('.'));
    expect((await good.hello()).type).toBe('welcome');
    await good.close();
    console.log(`hostile agent frames: ${tried} invalid frames tried, all closed 4000, store row counts unchanged`);
  }, 60_000);

  it('a valid frame type sent before hello closes 4000; an oversize frame closes 1009; binary closes 4000', async () => {
    expect((await sendAndClose(JSON.stringify(validFrames['state']), false)).code).toBe(CloseCode.InvalidFrame);
    expect((await sendAndClose(Buffer.from([1, 2, 3]), true)).code).toBe(CloseCode.InvalidFrame);
    expect((await sendAndClose('x'.repeat(MAX_FRAME_BYTES + 1), true)).code).toBe(CloseCode.TooBig);
    // A 100 KB non-ASCII key, named in the decoder's error: the close reason is cut to 123 bytes (in one pass).
    const huge = await sendAndClose(JSON.stringify({ ...validFrames['state'], ['é'.repeat(50_000)]: 1 }), true);
    expect(huge.code).toBe(CloseCode.InvalidFrame);
    expect(Buffer.byteLength(huge.reason)).toBeLessThanOrEqual(123);
    expect(huge.reason).toMatch(/^invalid state frame/);
  });
});
