import { describe, expect, it } from 'vitest';
import { childRun, parseInputs } from '../../../../main/commands/child-command.js';
import { CommandError, ExitCode } from '../../../../main/commands/exit-codes.js';

const WF = '0f8fad5b-d9cb-469f-a165-70867728950e';
const io = (env: NodeJS.ProcessEnv) => ({ env, out: () => undefined });

describe('flowhost child run (before any request)', () => {
  it('outside a session: a usage error that says so', async () => {
    const err = await childRun(WF, {}, io({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ code: ExitCode.Usage, message: expect.stringContaining('not inside a session') });
  });

  it('refuses a workflow id that is not a GUID, and --timeout without --wait', async () => {
    const env = { FLOWHOST_SESSION_TOKEN: 'x', FLOWHOST_API_URL: 'http://127.0.0.1:1/api/data/v9.2' };
    await expect(childRun('nope', {}, io(env))).rejects.toMatchObject({ code: ExitCode.Usage, message: expect.stringContaining('not a workflow id') });
    await expect(childRun(WF, { timeout: 5 }, io(env))).rejects.toMatchObject({ code: ExitCode.Usage, message: '--timeout needs --wait' });
  });

  it('takes inputs as name=value (the value may hold =)', () => {
    expect(parseInputs(['a=1', 'b=x=y', 'c='])).toEqual({ a: '1', b: 'x=y', c: '' });
    expect(() => parseInputs(['=1'])).toThrow(/not name=value/);
    expect(() => parseInputs(['novalue'])).toThrow(/not name=value/);
  });
});
