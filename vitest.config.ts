import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'web/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['server/test/global-setup.ts'],
    // Two cores: more workers only make the database tests fight for them.
    maxWorkers: 2,
    reporters: ['default', './server/test/summary-reporter.ts'],
  },
});
