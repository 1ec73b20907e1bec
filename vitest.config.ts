import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Vitest runs one file at a time on 2 cores (cores - 1); the tests mostly wait on the database, HTTP and
    // child processes, so two at a time use the machine better.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
