import type Database from 'better-sqlite3';

/** One step per schema version (PRAGMA user_version); steps are append-only, never edited once shipped. */
const steps: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
   INSERT INTO meta (key, value) VALUES ('last_seq', 0), ('last_acked_seq', 0);
   CREATE TABLE sessions (
     id TEXT PRIMARY KEY, stage TEXT NOT NULL, statuscode INTEGER NOT NULL, assign TEXT NOT NULL,
     acceptedon TEXT NOT NULL, startedon TEXT, completedon TEXT, pid INTEGER, runas TEXT,
     errorcode TEXT, errormessage TEXT, errordetails TEXT,
     cpu_avg REAL, ram_pct_avg REAL, ram_mb_peak REAL, runexecutionduration INTEGER,
     next_log_seq INTEGER NOT NULL DEFAULT 0);
   CREATE INDEX sessions_stage ON sessions (stage, completedon);
   CREATE TABLE log_lines (
     session_id TEXT NOT NULL, seq INTEGER NOT NULL, level INTEGER NOT NULL, stream TEXT NOT NULL,
     at TEXT NOT NULL, message TEXT NOT NULL, event_seq INTEGER NOT NULL,
     PRIMARY KEY (session_id, seq)) WITHOUT ROWID;
   CREATE TABLE outputs (session_id TEXT PRIMARY KEY, outputs TEXT NOT NULL);
   CREATE TABLE samples (
     session_id TEXT NOT NULL, at TEXT NOT NULL, cpu REAL NOT NULL, ram_mb REAL NOT NULL, ram_pct REAL NOT NULL,
     proc_cpu REAL, proc_rss_mb REAL, event_seq INTEGER NOT NULL);
   CREATE INDEX samples_session ON samples (session_id);
   CREATE TABLE events (seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL);
   CREATE TABLE callbacks (
     id TEXT PRIMARY KEY, session_id TEXT NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL,
     statecode INTEGER NOT NULL, statuscode INTEGER NOT NULL, retrycount INTEGER NOT NULL DEFAULT 0,
     createdon TEXT NOT NULL, ttlinseconds INTEGER NOT NULL, nextattempton TEXT NOT NULL,
     endtime TEXT, errormessage TEXT, httpstatus INTEGER);
   CREATE INDEX callbacks_due ON callbacks (statecode, nextattempton);`,
  // local_seq: seq of a Local run's `local-session` event (NULL for sessions the orchestrator assigned);
  // owner_pid: the `flowhost run` process that runs it. identity: the machine this file belongs to, at first use.
  `ALTER TABLE sessions ADD COLUMN local_seq INTEGER;
   ALTER TABLE sessions ADD COLUMN owner_pid INTEGER;
   CREATE TABLE identity (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // work_dirs: a run-as session's work dir outside the data dir (it holds the inputs), recorded before the flow starts
  // and dropped once removed; a restarted agent removes what is left. Kept apart from sessions, which are pruned.
  `CREATE TABLE work_dirs (session_id TEXT PRIMARY KEY, path TEXT NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL);`,
  // display_servers: a session's virtual display server (Xvfb), recorded when spawned and dropped once it ended; a
  // restarted agent ends what is left. screenshots: the PNG of a session's display when it failed, timed out or was
  // cancelled; pruned with the session's log lines.
  `CREATE TABLE display_servers (session_id TEXT PRIMARY KEY, pid INTEGER NOT NULL);
   CREATE TABLE screenshots (session_id TEXT PRIMARY KEY, takenon TEXT NOT NULL, png BLOB NOT NULL);`,
  // log_chunks: a session's output as chunks (consecutive lines of one stream and level, the masked text joined by
  // '\n', the time of its lines), written once; a `log` event references its chunk (events.chunk_id) and the lines are
  // built from it when sent. The lines of log_lines become one-line chunks; events already holding copies of their
  // lines keep them and are sent as they are.
  `CREATE TABLE log_chunks (
     id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, stream TEXT NOT NULL, level INTEGER NOT NULL,
     first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, at TEXT NOT NULL, times TEXT, text TEXT NOT NULL,
     event_seq INTEGER NOT NULL);
   CREATE UNIQUE INDEX log_chunks_session ON log_chunks (session_id, first_seq);
   INSERT INTO log_chunks (session_id, stream, level, first_seq, last_seq, at, text, event_seq)
     SELECT session_id, stream, level, seq, seq, at, message, event_seq FROM log_lines ORDER BY session_id, seq;
   DROP TABLE log_lines;
   ALTER TABLE events ADD COLUMN chunk_id INTEGER;`,
];

export const SCHEMA_VERSION = steps.length;

/** Brings the file to SCHEMA_VERSION (a test may stop at an older `version`); refuses a file written by a newer agent. */
export function migrate(db: Database.Database, version = steps.length): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > steps.length) {
    throw new Error(`agent store schema version ${current} is newer than this agent understands (${steps.length}); upgrade the agent`);
  }
  for (let v = current; v < Math.min(version, steps.length); v++) {
    db.transaction(() => {
      db.exec(steps[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
