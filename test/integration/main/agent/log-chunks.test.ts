import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './host-harness.js';

let h: Harness;
beforeEach(() => (h = createHarness()));
afterEach(() => h.close());

const secret = 'hunter2-correct-horse';
const node = (code: string) => ({ schemaversion: 1 as const, kind: 'command' as const, argv: [process.execPath, '-e', code] });

describe('SessionHost: a session log as chunks', () => {
  it('a flow writing lots: every line stored once, numbered without gaps, masked, in chunks; the sent events carry the same lines', async () => {
    const total = 60_000;
    // 60-byte lines (with the newline), every 1000th carrying the secret, written in big writes.
    const code = `const s = process.env.FLOWHOST_INPUT_PASSWORD; let out = '';
      for (let i = 0; i < ${total}; i++) { out += (i % 1000 === 7 ? 'key ' + s + ' ' : 'line ') + String(i).padStart(8, '0') + '\\n'; if (out.length > 200000) { process.stdout.write(out); out = ''; } }
      process.stdout.write(out);`;
    const { id, done } = h.start({ flow: node(code), inputs: { password: secret }, secretInputs: ['password'] });
    expect(await done).toMatchObject({ statuscode: 4 });
    const lines = h.store.logTail(id, total + 10).filter((l) => l.stream === 'stdout');
    expect(lines).toHaveLength(total);
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(lines[7]?.message).toBe('key *** 00000007');
    expect(lines.some((l) => l.message.includes('hunter2'))).toBe(false);

    const logs = h.store.eventsAfter(0, 10_000).filter((e) => e.kind === 'log');
    expect(logs.length).toBeLessThan(total / 100); // chunks, not lines
    const sent = logs.flatMap((e) => (e.kind === 'log' ? e.lines : [])).filter((l) => l.stream === 'stdout');
    expect(sent).toEqual(lines);
  });

  it('masks a secret that reaches the agent in two reads of the pipe', async () => {
    const half = secret.length >> 1;
    const code = `const s = process.env.FLOWHOST_INPUT_PASSWORD;
      process.stdout.write('before\\nthe key is ' + s.slice(0, ${half}));
      setTimeout(() => process.stdout.write(s.slice(${half}) + ' (end)\\nafter\\n'), 300);`;
    const { id, done } = h.start({ flow: node(code), inputs: { password: secret }, secretInputs: ['password'] });
    expect(await done).toMatchObject({ statuscode: 4 });
    expect(h.logText(id).filter((l) => !l.startsWith('the flow'))).toEqual(['before', 'the key is *** (end)', 'after']);
    const stored = h.store.eventsAfter(0, 100).flatMap((e) => (e.kind === 'log' ? e.lines : []));
    expect(stored.map((l) => l.message)).not.toContain(expect.stringContaining('hunter2'));
  });
});
