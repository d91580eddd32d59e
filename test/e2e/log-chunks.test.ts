import { describe, expect, it } from 'vitest';
import { Feature, ORCHESTRATOR_FEATURES } from '../../shared/protocol-features.js';
import { apiOk, createGroup, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd, type Row } from '../support/api-harness.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { FrameTap } from '../support/frame-tap.js';
import type { TestOrchestrator } from '../support/orchestrator-harness.js';

const SUCCEEDED = 4;
const SECRET = 'hunter2-secret-value';

/** A flow writing stdout and stderr in bursts (several chunks, several times), quotes, backslashes, non-ASCII and its secret input. */
const FLOW = `
const { secret } = JSON.parse(require('node:fs').readFileSync(process.env.FLOWHOST_INPUTS, 'utf8'));
const out = [];
for (let i = 0; i < 6000; i++) out.push('line ' + i + (i % 997 === 0 ? ' "quoted" \\\\ back\\\\slash ünï ' + secret : ''));
process.stdout.write(out.join('\\n') + '\\n');
setTimeout(() => {
  process.stderr.write('warning one\\nwarning two ' + secret + '\\n');
  process.stdout.write('last line\\n');
}, 150);
`;

/** The flow's own lines as flowlogs show them (name, level, data), in order. */
async function flowLines(o: TestOrchestrator, id: string): Promise<[unknown, unknown, string][]> {
  const rows: [unknown, unknown, string][] = [];
  let path = `flowlogs?$filter=_flowsessionid_value eq ${id} and (name eq 'stdout' or name eq 'stderr')&$orderby=seq&$select=name,level,data`;
  for (;;) {
    const page = await apiOk(o, 'GET', path);
    for (const r of page['value'] as Row[]) rows.push([r['name'], r['level'], String(r['data'])]);
    const next = page['@odata.nextLink'];
    if (typeof next !== 'string') return rows;
    path = new URL(next).pathname.replace('/api/data/v9.2/', '') + new URL(next).search;
  }
}

async function runOn(features: readonly string[]): Promise<{ lines: [unknown, unknown, string][]; kinds: string[] }> {
  const orch = disposeAfterTest(await startApiOrchestrator({ features }));
  const tap = disposeAfterTest(await FrameTap.start(orch.url));
  const g = await createGroup(orch, 'g-logs');
  disposeAfterTest(await startApiAgent(orch, { group: 'g-logs', name: 'logs', orchestratorUrls: [tap.url] }));
  const wf = await apiOk(orch, 'POST', 'workflows', {
    name: 'chatty',
    category: 6,
    clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: [process.execPath, '-e', FLOW] }),
    inputschema: JSON.stringify({ type: 'object', properties: { secret: { type: 'string', 'x-secret': true } } }),
  });
  const id = await runFlow(orch, String(wf['workflowid']), { machineGroupId: g, inputs: { secret: SECRET } });
  expect((await waitForSessionEnd(orch, id, 30_000))['statuscode']).toBe(SUCCEEDED);
  return { lines: await flowLines(orch, id), kinds: tap.agentEventKinds };
}

describe('e2e: a session log on the wire, as chunks or as lines', () => {
  it('an orchestrator that declared log-chunks gets log-chunk events, an older one log events; flowlogs show the same lines either way', async () => {
    const chunks = await runOn(ORCHESTRATOR_FEATURES);
    const lines = await runOn(ORCHESTRATOR_FEATURES.filter((f) => f !== Feature.LogChunks));

    expect(chunks.kinds).toContain('log-chunk');
    expect(chunks.kinds).not.toContain('log');
    expect(lines.kinds).toContain('log');
    expect(lines.kinds).not.toContain('log-chunk');

    expect(lines.lines).toHaveLength(6000 + 1 + 2);
    expect(chunks.lines).toEqual(lines.lines);
    const messages = chunks.lines.map(([, , data]) => (JSON.parse(data) as { message: string }).message);
    expect(messages[997]).toBe('line 997 "quoted" \\ back\\slash ünï ***');
    expect(messages.join('\n')).not.toContain(SECRET);
    expect(chunks.lines.filter(([name]) => name === 'stderr').map(([, , d]) => (JSON.parse(d) as { message: string }).message)).toEqual(['warning one', 'warning two ***']);
  });
});
