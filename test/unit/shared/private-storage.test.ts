import * as fs from 'node:fs';
import { chmodSync, closeSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePrivateDbFiles, ensurePrivateDir, PrivateStorageError } from '../../../shared/private-storage.js';
import { POSIX, skipUnlessOn } from '../../support/requirements.js';
import { tempDir } from '../../support/temp-dir.js';

const mode = (path: string) => statSync(path).mode & 0o777;
const host = (warnings: string[], uid = process.getuid?.()) => ({ fs, platform: 'linux', uid, warn: (m: string) => warnings.push(m) });

describe.skipIf(skipUnlessOn(POSIX, 'POSIX file modes'))('private storage: data dir 0700, SQLite files 0600 (real files)', () => {
  it('creates a missing dir 0700, silently', () => {
    const warnings: string[] = [];
    const dir = join(tempDir(), 'a', 'b');
    ensurePrivateDir(dir, host(warnings));
    expect(mode(dir)).toBe(0o700);
    expect(warnings).toEqual([]);
  });

  it('makes an own dir with wider modes 0700 and says so', () => {
    const warnings: string[] = [];
    const dir = join(tempDir(), 'wide');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    ensurePrivateDir(dir, host(warnings));
    expect(mode(dir)).toBe(0o700);
    expect(warnings).toEqual([`data dir ${dir} had mode 0755; set it to 0700 (it holds secrets no flow or other user may read)`]);
  });

  it("refuses a wide dir this process does not own, and a path that is not a dir, naming it; leaves it as it was", () => {
    const dir = join(tempDir(), 'theirs');
    mkdirSync(dir);
    chmodSync(dir, 0o750);
    const owner = statSync(dir).uid;
    expect(() => ensurePrivateDir(dir, host([], owner + 1))).toThrow(PrivateStorageError);
    expect(() => ensurePrivateDir(dir, host([], owner + 1))).toThrow(`data dir ${dir} has mode 0750 (others may read it) and belongs to uid ${owner}`);
    expect(mode(dir)).toBe(0o750);
    const file = join(tempDir(), 'file');
    writeFileSync(file, '');
    expect(() => ensurePrivateDir(file, host([]))).toThrow(/EEXIST|is not a directory/);
  });

  it('creates the database file 0600 before SQLite opens it and tightens a WAL, SHM or journal left wider', () => {
    const warnings: string[] = [];
    const dir = tempDir();
    const db = join(dir, 'x.db');
    ensurePrivateDbFiles(db, host(warnings));
    expect(mode(db)).toBe(0o600);
    expect(warnings).toEqual([]);
    for (const suffix of ['', '-wal', '-shm']) {
      closeSync(openSync(`${db}${suffix}`, 'a'));
      chmodSync(`${db}${suffix}`, 0o644);
    }
    ensurePrivateDbFiles(db, host(warnings));
    for (const suffix of ['', '-wal', '-shm']) expect(mode(`${db}${suffix}`), suffix).toBe(0o600);
    expect(warnings).toHaveLength(3);
    ensurePrivateDbFiles(':memory:', host(warnings));
  });
});
