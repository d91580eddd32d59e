import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionEvent } from '../../../../shared/protocol.js';
import { validator } from '../../../../shared/validate.js';
import { createHarness, fixture, type Harness } from './host-harness.js';
import { POSIX, skipUnlessOn } from '../../../support/requirements.js';

const checkEvent = validator(SessionEvent);
let h: Harness;
beforeEach(() => (h = createHarness()));
afterEach(() => h.close());

const echo = { schemaversion: 1 as const, kind: 'command' as const, argv: [process.execPath, fixture('flow-echo.mjs'), '--literal', '$HOME'] };

describe('SessionHost: flows', () => {
  it('runs a command flow with inputs as a file and env vars, nothing interpreted by a shell, and stores valid outputs', async () => {
    const marker = join(tmpdir(), `flowhost-pwned-${process.pid}`);
    const nasty = `$(touch ${marker}); \`touch ${marker}\` && rm -rf / ; "quoted' \n next`;
    const { id, done } = h.start({
      flow: echo,
      inputs: { 'my-value': nasty, outputs: { answer: 42 } },
      outputschema: { type: 'object', required: ['answer'], properties: { answer: { type: 'integer' } } },
    });
    const s = await done;
    expect(s).toMatchObject({ statuscode: 4, stage: 'completed', outputs: '{"answer":42}' });
    expect(s.errorcode).toBeUndefined();
    const printed = JSON.parse(h.logText(id)[0] as string) as { inputs: Record<string, unknown>; env: Record<string, string>; argv: string[]; cwd: string };
    expect(printed.inputs['my-value']).toBe(nasty);
    expect(printed.env['FLOWHOST_INPUT_MY_VALUE']).toBe(nasty);
    expect(printed.env['FLOWHOST_SESSION_ID']).toBe(id);
    expect(printed.argv).toEqual(['--literal', '$HOME']);
    expect(printed.cwd).toBe(join(h.dir, 'sessions', id));
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(h.dir, 'sessions', id))).toBe(false); // inputs (secrets) do not outlive the run

    const events = h.store.eventsAfter(0, 100);
    expect(events.map((e) => e.kind)).toEqual(['started', 'log', 'outputs', 'completed']);
    for (const e of events) expect(checkEvent.check(e), checkEvent.errors().join()).toBe(true);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    const completed = events[3];
    expect(completed?.kind === 'completed' && completed.runexecutionduration).toBeGreaterThan(0);
  });

  it('fails a flow whose outputs do not match the outputschema (OutputsInvalid)', async () => {
    const { done } = h.start({ flow: echo, inputs: { outputs: { answer: 'no' } }, outputschema: { type: 'object', properties: { answer: { type: 'integer' } } } });
    const s = await done;
    expect(s).toMatchObject({ statuscode: 8, errorcode: 'OutputsInvalid' });
    expect(s.errormessage).toMatch(/answer must be integer/);
    expect(s.outputs).toBeUndefined();
  });

  it.skipIf(skipUnlessOn(POSIX, 'bash'))('runs a bash flow from a script file: env input, partial last line, exit code → Failed FlowExitCode', async () => {
    const script = 'echo "value=$FLOWHOST_INPUT_X"\necho "to stderr" >&2\nprintf "no newline at the end"\nexit 3\n';
    const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'shell', shell: 'bash', script }, inputs: { x: '$(id) `id`; ls' } });
    const s = await done;
    expect(s).toMatchObject({ statuscode: 8, errorcode: 'FlowExitCode' });
    expect(JSON.parse(s.errordetails as string)).toEqual({ exitCode: 3, signal: null });
    const lines = h.store.logTail(id, 100);
    expect(lines.filter((l) => l.stream !== 'agent').map((l) => [l.stream, l.message])).toEqual(
      expect.arrayContaining([
        ['stdout', 'value=$(id) `id`; ls'],
        ['stderr', 'to stderr'],
        ['stdout', 'no newline at the end'],
      ]),
    );
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i));
  });

  it('runs a node flow with the agent\'s own Node (ELECTRON_RUN_AS_NODE=1) as an ES module', async () => {
    const script = `import { writeFileSync } from 'node:fs';\nconsole.log('electron-as-node=' + process.env.ELECTRON_RUN_AS_NODE);\nwriteFileSync(process.env.FLOWHOST_OUTPUTS, JSON.stringify({ ok: true }));\n`;
    const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'node', script } });
    expect(await done).toMatchObject({ statuscode: 4, outputs: '{"ok":true}' });
    expect(h.logText(id)).toContain('electron-as-node=1');
  });

  it('splits long lines instead of dropping them', async () => {
    const short = createHarness({ maxLineChars: 100 });
    try {
      const { id, done } = short.start({ flow: { schemaversion: 1, kind: 'command', argv: [process.execPath, '-e', "process.stdout.write('a'.repeat(250) + '\\r\\nend')"] } });
      await done;
      expect(short.logText(id).slice(0, 4)).toEqual(['a'.repeat(100), 'a'.repeat(100), 'a'.repeat(50), 'end']);
    } finally {
      short.close();
    }
  });

  it('masks secret inputs in every log line, also JSON-escaped and base64 forms', async () => {
    const secret = 'hunter2-"quoted"';
    const code = `const s = process.env.FLOWHOST_INPUT_PASSWORD; console.log('raw ' + s); console.log(JSON.stringify({ s })); console.error(Buffer.from(s).toString('base64'));`;
    const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'command', argv: [process.execPath, '-e', code] }, inputs: { password: secret }, secretInputs: ['password'] });
    await done;
    const text = h.logText(id).join('\n');
    expect(text).toContain('raw ***');
    expect(text).toContain('{"s":"***"}');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(Buffer.from(secret).toString('base64'));
    const events = JSON.stringify(h.store.eventsAfter(0, 100));
    expect(events).not.toContain('hunter2');
  });

  it('reports a flow that cannot start as Failed FlowStartFailed', async () => {
    const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'command', argv: ['/nonexistent/flowhost-binary'] } });
    const s = await done;
    expect(s).toMatchObject({ statuscode: 8, errorcode: 'FlowStartFailed' });
    expect(s.errormessage).toMatch(/ENOENT/);
    expect(h.store.eventsAfter(0, 100).map((e) => e.kind)).toEqual(['started', 'log', 'completed']);
    // The failed start still records when it was tried.
    expect(h.store.getSession(id)?.startedon).toEqual(expect.any(String));
  });

  it('creates a callback outbox row with the completion, in the same commit', async () => {
    const { id, done } = h.start({ flow: echo, inputs: { exitCode: 2 }, session: { callbackurl: 'https://example.test/cb' } });
    await done;
    const [row] = h.store.dueCallbacks(new Date(Date.now() + 1000), 10);
    expect(row?.sessionId).toBe(id);
    expect(JSON.parse(row!.body)).toMatchObject({ flowsessionid: id, statuscode: 8, statecode: 0, errorcode: 'FlowExitCode' });
  });
});
