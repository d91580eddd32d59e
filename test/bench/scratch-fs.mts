import Database from 'better-sqlite3';
const db = new Database('/tmp/fsync-test.db'); db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS t (x)'); const ins = db.prepare('INSERT INTO t VALUES (?)');
const t0 = performance.now(); for (let i = 0; i < 200; i++) db.transaction(() => ins.run(i))();
console.log('ms per commit', (performance.now() - t0) / 200);
