import { afterEach, describe, expect, it } from 'vitest';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../../../support/orchestrator-harness.js';

let o: TestOrchestrator;
afterEach(async () => {
  await o?.close();
});

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 3]);

/** One machine; `confirm()` queues a session and has it confirmed to the machine. */
async function machine() {
  o = await startTestOrchestrator({ clock: TestClock.manual() });
  const group = await o.group('g1');
  const wf = await o.workflow();
  const { agent } = await o.machine('g1');
  await agent.hello();
  const confirm = async () => {
    const id = await o.session(String(wf['workflowid']), { _machinegroupid_value: String(group['flowmachinegroupid']) });
    await agent.next('assign');
    agent.send({ type: 'accept', sessionId: id });
    await agent.next('confirm');
    return id;
  };
  return { agent, confirm };
}

describe('completed events with a screenshot', () => {
  it('keeps a PNG with its session, drops one that is not a PNG, and ends both sessions either way', async () => {
    const { agent, confirm } = await machine();
    const at = o.clock.now().toISOString();
    const completed = (seq: number, sessionId: string, png: Buffer) => ({ seq, sessionId, at, kind: 'completed' as const, statuscode: 8, completedon: at, screenshot: { takenon: at, png: png.toString('base64') } });
    const withPng = await confirm();
    agent.send({ type: 'events', events: [completed(1, withPng, PNG)] });
    expect((await agent.next('ack')).upTo).toBe(1);
    const withText = await confirm();
    agent.send({ type: 'events', events: [completed(2, withText, Buffer.from('not a picture at all'))] });
    expect((await agent.next('ack')).upTo).toBe(2);
    expect((await o.get(withPng))['statuscode']).toBe(8);
    expect((await o.get(withText))['statuscode']).toBe(8);
    expect(await o.store.screenshots.forSession(withPng)).toEqual({ flowsessionid: withPng, takenon: at, png: PNG });
    expect(await o.store.screenshots.forSession(withText)).toBeUndefined();
  });
});
