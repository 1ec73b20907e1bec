import { defineConfig } from 'vitest/config';

// Three projects, run one after another (sequence.groupOrder): `unit` (pure domain logic and cards, seconds:
// `npm run test:unit`), `http` (the real server and database against the Lark stand-in; every file not
// listed elsewhere lands here), `process` (child processes and the browser test).
const UNIT = ['test/domain/**/*.test.ts', 'test/platform/**/*.test.ts', 'test/cards/**/*.test.ts', 'test/lark/identity.test.ts', 'test/lark/intake.test.ts'];
const PROCESS = ['test/e2e/**/*.test.ts', 'test/foundation/service.test.ts', 'test/foundation/config.test.ts', 'test/foundation/migrations.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    // Vitest runs one file at a time on 2 cores (cores - 1); the tests mostly wait on the database, HTTP and
    // child processes, so two at a time use the machine better.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'http', include: ['test/**/*.test.ts'], exclude: [...UNIT, ...PROCESS], sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'process', include: PROCESS, sequence: { groupOrder: 2 } } },
    ],
  },
});
