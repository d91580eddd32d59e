import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { tempDir } from '../../../support/temp-dir.js';

let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
});

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SqliteStore.crashSafeTransaction / afterDurable', () => {
  it('runs what waits for durability after the fsync of the commits before it, in order; at once when none is pending', async () => {
    store = new SqliteStore({ file: join(tempDir(), 'o.db') });
    const ran: string[] = [];
    // Right after opening, one fsync first: a process killed before its fsync may have left commits only the OS holds.
    store.afterDurable(() => ran.push('opened'), (err) => ran.push(err.message));
    expect(ran).toEqual([]);
    while (ran.length < 1) await turn();
    store.afterDurable(() => ran.push('nothing pending'), (err) => ran.push(err.message));
    expect(ran).toEqual(['opened', 'nothing pending']);
    await store.crashSafeTransaction((tx) => tx.machines.insert({ name: 'a', statecode: 0 }));
    store.afterDurable(() => ran.push('after a'), (err) => ran.push(err.message));
    await store.crashSafeTransaction((tx) => tx.machines.insert({ name: 'b', statecode: 0 }));
    store.afterDurable(() => ran.push('after b'), (err) => ran.push(err.message));
    // Queued behind the others even though it adds no commit: frames keep their order.
    store.afterDurable(() => ran.push('third'), (err) => ran.push(err.message));
    expect(ran).toEqual(['opened', 'nothing pending']);
    while (ran.length < 5) await turn();
    expect(ran).toEqual(['opened', 'nothing pending', 'after a', 'after b', 'third']);
    store.afterDurable(() => ran.push('idle again'), (err) => ran.push(err.message));
    expect(ran.at(-1)).toBe('idle again');
  });

  it('fails what waits when the store closes first', async () => {
    store = new SqliteStore({ file: join(tempDir(), 'o.db') });
    await store.crashSafeTransaction((tx) => tx.machines.insert({ name: 'a', statecode: 0 }));
    const failed: string[] = [];
    store.afterDurable(() => failed.push('ran'), (err) => failed.push(err.message));
    await store.close();
    store = undefined;
    expect(failed).toEqual(['the store closed before its commits were synced']);
  });

  it('keeps a crash-safe commit when the process is killed -9 before any fsync', async () => {
    const dir = tempDir();
    const file = join(dir, 'o.db');
    const child = join(dir, 'child.mts');
    const storeModule = fileURLToPath(new URL('../../../../orchestrator/store/sqlite-store.ts', import.meta.url));
    writeFileSync(
      child,
      `import { SqliteStore } from ${JSON.stringify(storeModule)};
const store = new SqliteStore({ file: ${JSON.stringify(file)} });
await store.crashSafeTransaction((tx) => tx.machines.insert({ flowmachineid: '11111111-1111-1111-1111-111111111111', name: 'kept', statecode: 0 }));
process.kill(process.pid, 'SIGKILL');
`,
    );
    const result = spawnSync(process.execPath, ['--import', 'tsx', child], { cwd: process.cwd(), encoding: 'utf8' });
    expect(result.signal).toBe('SIGKILL');
    store = new SqliteStore({ file });
    expect((await store.machines.get('11111111-1111-1111-1111-111111111111'))?.['name']).toBe('kept');
  });
});
