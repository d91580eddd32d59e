import { describe, expect, it } from 'vitest';
import { decodeAgentFrame, decodeOrchestratorFrame, encodeFrame, unreadableOffer } from '../../../shared/protocol-codec.js';
import { AGENT_FEATURES, agentFeatures, assignNeeds, Feature, orchestratorFeatures, parseFeatureHeader, unmetNeeds } from '../../../shared/protocol-features.js';
import { PROTOCOL_VERSION } from '../../../shared/protocol.js';
import { makeAssign } from '../../support/agent-assign.js';
import { agentState } from '../../support/fake-agent.js';

const nodeAssign = makeAssign({ flow: { schemaversion: 1, kind: 'node', script: 'console.log(1)' } });

describe('feature negotiation rules', () => {
  it('reads a header as lower-case tokens, one value or several, bounded', () => {
    expect([...parseFeatureHeader(' Callback-Key ,events,, flow:node')]).toEqual(['callback-key', 'events', 'flow:node']);
    expect([...parseFeatureHeader(['a, b', 'c'])]).toEqual(['a', 'b', 'c']);
    expect(parseFeatureHeader(undefined).size).toBe(0);
    expect(parseFeatureHeader(Array.from({ length: 500 }, (_, i) => `f${i}`).join(',')).size).toBeLessThanOrEqual(64);
  });

  it('an agent that does not negotiate runs every protocol-1 flow kind; one that does runs what it declared; its hello list beats its header', () => {
    const older = agentFeatures(new Set([Feature.CallbackKey]));
    expect([...older].sort()).toEqual([Feature.CallbackKey, Feature.FlowCommand, Feature.FlowNode, Feature.FlowShell].sort());
    expect(unmetNeeds(nodeAssign, older)).toBeUndefined();

    const commandOnly = agentFeatures(new Set([Feature.FeatureLists, Feature.FlowCommand]));
    expect(unmetNeeds(makeAssign(), commandOnly)).toBeUndefined();
    expect(unmetNeeds(nodeAssign, commandOnly)).toMatch(/did not declare flow:node/);

    expect(agentFeatures(new Set([Feature.FeatureLists]), [...AGENT_FEATURES]).has(Feature.FlowNode)).toBe(true);
    expect(agentFeatures(new Set([Feature.FeatureLists, Feature.FlowNode]), [Feature.FeatureLists]).has(Feature.FlowNode)).toBe(false);
  });

  it("an orchestrator's welcome list beats its upgrade header; one that announced nothing has no features", () => {
    expect(orchestratorFeatures(new Set()).size).toBe(0);
    expect([...orchestratorFeatures(new Set([Feature.FeatureLists, Feature.EventsFrames]), [Feature.FeatureLists])]).toEqual([Feature.FeatureLists]);
  });

  it('an offer needs its flow kind', () => {
    expect(assignNeeds(nodeAssign)).toEqual([Feature.FlowNode]);
    expect(assignNeeds(makeAssign({ flow: { schemaversion: 1, kind: 'shell', shell: 'sh', script: 'true' } }))).toEqual([Feature.FlowShell]);
  });

  it('this agent declares every flow kind it runs', () => {
    for (const kind of ['command', 'shell', 'node']) expect(AGENT_FEATURES).toContain(`flow:${kind}`);
  });
});

describe('features in hello and welcome', () => {
  it('both frames take an optional list of tokens, bounded', () => {
    const hello = { type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: '1', os: 'linux', lastAckedSeq: 0, state: agentState(), activeSessions: [] } as const;
    expect(decodeAgentFrame(JSON.stringify(hello)).ok).toBe(true);
    expect(decodeAgentFrame(JSON.stringify({ ...hello, features: ['features', 'flow:node'] })).ok).toBe(true);
    expect(decodeAgentFrame(JSON.stringify({ ...hello, features: Array.from({ length: 65 }, (_, i) => `f${i}`) })).ok).toBe(false);
    const welcome = { type: 'welcome', protocol: 1, flowmachineid: '6f1c1a52-7d7e-4c55-9d7a-2d0f0e3b9a11', appliedUpTo: 0, serverTime: new Date().toISOString(), heartbeatIntervalMs: 1000, cancelSessions: [] };
    expect(decodeOrchestratorFrame(JSON.stringify({ ...welcome, features: ['events'] })).ok).toBe(true);
    expect(decodeOrchestratorFrame(JSON.stringify({ ...welcome, features: [''] })).ok).toBe(false);
  });

  it('the local-session frame is gone: Local runs are reported by their seq’d event only', () => {
    expect(decodeAgentFrame('{"type":"local-session"}')).toEqual({ ok: false, error: 'unknown frame type "local-session"' });
  });
});

describe('unreadableOffer', () => {
  it("names the session of an assign this side cannot decode, and nothing else's", () => {
    const id = nodeAssign.session.flowsessionid;
    const futureKind = JSON.stringify({ ...nodeAssign, flow: { schemaversion: 1, kind: 'python', script: 'print(1)' } });
    expect(decodeOrchestratorFrame(futureKind).ok).toBe(false);
    expect(unreadableOffer(futureKind)).toBe(id);
    expect(unreadableOffer(JSON.stringify({ ...nodeAssign, futureField: 1 }))).toBe(id);
    expect(unreadableOffer(encodeFrame({ type: 'confirm', sessionId: id }))).toBeUndefined();
    expect(unreadableOffer(JSON.stringify({ ...nodeAssign, session: { flowsessionid: 'not-a-guid' } }))).toBeUndefined();
    expect(unreadableOffer('{')).toBeUndefined();
  });
});
