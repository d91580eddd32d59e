import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_OUTPUTS_BYTES, readOutputs } from '../../../../../main/agent/runner/outputs-reader.js';
import { POSIX, skipUnlessOn } from '../../../../support/requirements.js';
import { tempDir } from '../../../../support/temp-dir.js';

/** Short: V8's JSON.parse error quotes only the first 10 characters of the text. */
const MARKER = 'Mk5f2c9a';

describe('readOutputs: whatever the flow made of $FLOWHOST_OUTPUTS', () => {
  it('no file and an empty file mean no outputs; a required output is still enforced', async () => {
    const dir = tempDir();
    const file = join(dir, 'outputs.json');
    expect(await readOutputs(file, undefined)).toEqual({ ok: true });
    writeFileSync(file, '');
    expect(await readOutputs(file, undefined)).toEqual({ ok: true });
    const schema = JSON.stringify({ type: 'object', required: ['a'] });
    expect(await readOutputs(file, schema)).toMatchObject({ ok: false, message: expect.stringMatching(/outputschema/) });
    writeFileSync(file, '{"a": 1}');
    expect(await readOutputs(file, schema)).toEqual({ ok: true, outputs: '{"a":1}' });
  });

  it('a directory is an error result, not an exception', async () => {
    const file = join(tempDir(), 'outputs.json');
    mkdirSync(file);
    expect(await readOutputs(file, undefined)).toMatchObject({ ok: false, message: expect.stringMatching(/not a regular file/) });
  });

  it.skipIf(skipUnlessOn(POSIX, 'mkfifo'))('a FIFO is an error result at once: no wait for a writer', async () => {
    const file = join(tempDir(), 'outputs.json');
    execFileSync('mkfifo', [file]);
    expect(await readOutputs(file, undefined)).toMatchObject({ ok: false, message: expect.stringMatching(/not a regular file/) });
  });

  it.skipIf(skipUnlessOn(POSIX, 'symbolic links without privileges'))('a symbolic link is never followed: the target content appears nowhere', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'secret'), `{"stolen": "${MARKER}"}`);
    writeFileSync(join(dir, 'secret.txt'), MARKER);
    for (const target of ['secret', 'secret.txt']) {
      const file = join(dir, `outputs-${target}.json`);
      symlinkSync(join(dir, target), file);
      const result = await readOutputs(file, undefined);
      expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/symbolic link|not a regular file/) });
      expect(JSON.stringify(result)).not.toContain(MARKER);
    }
  });

  it('invalid JSON: the message gives at most a position, never the content', async () => {
    const dir = tempDir();
    for (const [name, text] of [['a', MARKER], ['b', `{"x": ${MARKER}}`], ['c', `{"${MARKER}": 1`]] as const) {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, text);
      const result = await readOutputs(file, undefined);
      expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/^outputs are not valid JSON/) });
      expect(JSON.stringify(result)).not.toContain(MARKER);
    }
  });

  it('more than the cap is refused, a sparse huge file without reading it', async () => {
    const dir = tempDir();
    const over = join(dir, 'over.json');
    writeFileSync(over, `"${'x'.repeat(MAX_OUTPUTS_BYTES - 1)}"`);
    expect(await readOutputs(over, undefined)).toMatchObject({ ok: false, message: expect.stringMatching(/at most 2000000/) });
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 64 * 1024 ** 3);
    expect(await readOutputs(huge, undefined)).toMatchObject({ ok: false, message: expect.stringMatching(/at most 2000000/) });
    const atCap = join(dir, 'cap.json');
    writeFileSync(atCap, `"${'x'.repeat(MAX_OUTPUTS_BYTES - 2)}"`);
    expect(await readOutputs(atCap, undefined)).toMatchObject({ ok: true });
  });
});
