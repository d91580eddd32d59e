import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envFileText, withEnvFile } from '../../../../../main/agent/runner/env-file.js';
import { POSIX, skipUnlessOn } from '../../../../support/requirements.js';
import { tempDir } from '../../../../support/temp-dir.js';

describe.skipIf(skipUnlessOn(POSIX, '/bin/sh'))('the env file a run as another user starts from', () => {
  it('a real /bin/sh started with an empty environment execs the command with exactly these variables, byte for byte', () => {
    const env = {
      PLAIN: 'value',
      QUOTES: `it's "quoted" '' \\' end'`,
      SHELLISH: '$HOME `id` $(id) ${PATH} \\n ; | & > < * ? ~',
      LINES: 'one\ntwo\r\nthree\n',
      EMPTY: '',
      UNICODE: 'héllo – 日本 🙂',
      EQUALS: 'a=b=c',
      PWD: '/not/the/real/cwd',
    };
    const file = join(tempDir(), 'env.sh');
    writeFileSync(file, envFileText(env));
    const [shell, ...args] = withEnvFile(file, '/usr/bin/env', ['-0']);
    const out = execFileSync(shell as string, args, { env: {}, encoding: 'utf8', cwd: '/' });
    const got = Object.fromEntries(
      out
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    expect(got).toEqual(env);
  });

  it('adds nothing of its own (dash exports PWD by itself: unset)', () => {
    const file = join(tempDir(), 'env.sh');
    writeFileSync(file, envFileText({ ONLY: '1' }));
    const [shell, ...args] = withEnvFile(file, '/usr/bin/env', []);
    expect(execFileSync(shell as string, args, { env: {}, encoding: 'utf8', cwd: '/tmp' })).toBe('ONLY=1\n');
  });

  it('refuses a name that is not a shell identifier and a value with NUL, without quoting the value', () => {
    expect(() => envFileText({ 'A-B': 'x' })).toThrow(/'A-B' is not a shell identifier/);
    expect(() => envFileText({ 'A;rm -rf /': 'x' })).toThrow(/is not a shell identifier/);
    expect(() => envFileText({ TOKEN: 'sec\0ret' })).toThrow(/TOKEN holds a NUL character/);
    expect(() => envFileText({ TOKEN: 'sec\0ret' })).not.toThrow(/sec/);
  });
});
