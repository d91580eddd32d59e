import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { processTreeForPlatform } from '../../../../main/agent/process/kill-tree.js';
import { FlowRun } from '../../../../main/agent/runner/flow-run.js';
import { LINUX, skipUnlessOn } from '../../../support/requirements.js';
import { waitFor } from '../../../support/wait-for.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Where a process sleeps while its write(2) waits for room: libuv gives a child's stdio socket pairs, else a pipe. */
const BLOCKED_WRITING = /sock_alloc_send_pskb|unix_stream_sendmsg|pipe_write$/;
const TOTAL = 40_000; // 60-byte lines, 2.4 MB: far more than a pipe and a paused stream hold

it.skipIf(skipUnlessOn(LINUX, '/proc/<pid>/wchan'))('pausing the pipes holds the flow on its writes and reads nothing meanwhile; resumed, it finishes and nothing is lost', async () => {
  dir = mkdtempSync(join(tmpdir(), 'flow-backpressure-'));
  // head(1) writes with blocking write(2)s (a Node writer would buffer in its own memory instead).
  const file = join(dir, 'lines.txt');
  writeFileSync(file, `${'y'.repeat(59)}\n`.repeat(TOTAL));
  const env = { PATH: process.env['PATH'] ?? '' };
  let lines = 0;
  let atPause: number | undefined;
  const run: FlowRun = new FlowRun({
    plan: { file: 'head', args: ['-n', String(TOTAL), file], env, flowEnv: env, cwd: dir, workDir: dir, outputsFile: join(dir, 'outputs.json'), files: [] },
    tree: processTreeForPlatform(),
    timeoutMs: 60_000,
    killGraceMs: 500,
    maxLineChars: 1000,
    onLines: (_stream, _text, count) => {
      lines += count;
      if (atPause === undefined) {
        atPause = lines;
        run.pausePipes();
      }
    },
  });
  const pid = run.start();
  expect(pid).toBeDefined();
  await waitFor(() => atPause !== undefined, { what: 'the first read' });
  // The flow blocks in write(2) on its full stdout: the agent stopped reading it.
  await waitFor(() => BLOCKED_WRITING.test(readFileSync(`/proc/${pid}/wchan`, 'utf8')), { what: 'the flow blocked on its pipe' });
  expect(lines).toBe(atPause);
  run.resumePipes();
  expect(await run.done).toMatchObject({ statuscode: 4 });
  expect(lines).toBe(TOTAL);
});
