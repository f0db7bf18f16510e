import { defineConfig } from 'vitest/config';

/**
 * The suite runs once per database: `pglite` (embedded, always) and `postgres` (the server at
 * TEST_DATABASE_URL). scripts/test.mjs decides which projects run and says why one is left out.
 * Files named *.pg.test.ts exercise what only a server has (several processes on one database).
 */
const shared = {
  include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  // Limits for a hung test, not a slow one: a loaded 2-core machine must never reach them.
  testTimeout: 300_000,
  hookTimeout: 300_000,
  pool: 'forks' as const,
  // expect.poll waits for a condition; like every wait in the suite, its limit is generous so
  // that a loaded machine never hits it (the default is one second).
  expect: { poll: { timeout: 30_000 } },
};

/** Test files that take shared engines away: run by themselves, once the rest has finished. */
const ALONE = ['test/scale-out.pg.test.ts'];

export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...shared,
          name: 'pglite',
          exclude: ['**/*.pg.test.ts', '**/node_modules/**'],
          env: { TEST_DB: 'pglite' },
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
      {
        test: {
          ...shared,
          name: 'postgres',
          exclude: [...ALONE, '**/node_modules/**'],
          env: { TEST_DB: 'postgres' },
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
      {
        // After everything else (a group of its own): it kills and restarts the Kafka broker that
        // the other suites share, which a suite running meanwhile would meet as a failure.
        test: {
          ...shared,
          name: 'postgres-alone',
          include: ALONE,
          env: { TEST_DB: 'postgres' },
          globalSetup: ['test/helpers/global-setup.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
