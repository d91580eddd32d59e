import { describe, expect, it } from 'vitest';
import { baseEnv, inputEnv, inputEnvName } from '../../../../../main/agent/runner/flow-env.js';

describe('flow environment', () => {
  it('names input variables upper-case with non-alphanumerics as _', () => {
    expect(inputEnvName('my-input.name')).toBe('FLOWHOST_INPUT_MY_INPUT_NAME');
    expect(inputEnv(JSON.stringify({ a: 'x', n: 3, o: { k: true } }))).toEqual({ FLOWHOST_INPUT_A: 'x', FLOWHOST_INPUT_N: '3', FLOWHOST_INPUT_O: '{"k":true}' });
  });

  it("keeps the agent's FLOWHOST_* settings out of the flow; another user gets only an allow-list and its own identity", () => {
    const source = { PATH: '/bin', FLOWHOST_GROUP_PASSWORD: 'pw', SECRET_TOKEN: 't', ELECTRON_RUN_AS_NODE: '1' };
    expect(baseEnv(source, undefined)).toEqual({ PATH: '/bin', SECRET_TOKEN: 't' });
    expect(baseEnv(source, { name: 'bob', uid: 1000, gid: 1000, groups: [1000], home: '/home/bob' })).toEqual({
      PATH: '/bin',
      HOME: '/home/bob',
      USER: 'bob',
      LOGNAME: 'bob',
      SHELL: '/bin/sh',
    });
  });
});
