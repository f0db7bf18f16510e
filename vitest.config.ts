import { defineConfig } from 'vitest/config';

/**
 * The suite runs once per database: `pglite` (embedded, always) and `postgres` (the server at
 * TEST_DATABASE_URL). scripts/test.mjs decides which projects run and says why one is left out.
 * Files named *.pg.test.ts exercise what only a server has (several processes on one database).
 */
const shared = {
  include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
};

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
          env: { TEST_DB: 'postgres' },
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
    ],
  },
});
