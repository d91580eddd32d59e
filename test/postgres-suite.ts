// `npm run test:postgres`: the orchestrator's suites again, every test orchestrator on PostgreSQL
// (FLOWHOST_TEST_STORE=postgres, test/support/orchestrator-harness.ts). Needs the Debian package postgresql: without
// it the run says so and is skipped, except under CI=true, where it fails (test/support/requirements.ts's rule).
import { spawnSync } from 'node:child_process';
import { hasPostgres, POSTGRES } from './support/postgres.js';

/** What runs on PostgreSQL: every suite that starts an orchestrator, and the end-to-end runs of what only it does across restarts. */
const SUITES = ['test/integration/orchestrator', 'test/e2e/schedules.test.ts', 'test/e2e/orchestrator-store.test.ts'];

if (!hasPostgres) {
  const message = `orchestrator suites on PostgreSQL: needs ${POSTGRES.what}`;
  if (process.env['CI'] === 'true') {
    console.error(`${message} (required under CI=true)`);
    process.exit(1);
  }
  console.log(`${message}; skipped`);
  process.exit(0);
}
const run = spawnSync('npx', ['vitest', 'run', ...SUITES], { stdio: 'inherit', env: { ...process.env, FLOWHOST_TEST_STORE: 'postgres' } });
process.exit(run.status ?? 1);
