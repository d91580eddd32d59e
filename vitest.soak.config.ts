import { defineConfig } from 'vitest/config';

/** `npm run test:soak`: the long forms of test/reliability (≥ 100 agent kills, minutes of orchestrator outage). */
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    testTimeout: 60 * 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
