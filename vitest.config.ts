import { defineConfig } from 'vitest/config';

/**
 * The test tiers (`npm test` runs them all; CI runs it on SQLite and on PostgreSQL):
 * - unit: pure code next to it (src/, sandbox/) — seconds, `npm run test:unit` in the edit loop;
 * - integration: the real server against the simulators on loopback, the contract samples and the security checks;
 * - resilience: crashes, lost answers, worker fleets, bursts and rate limits, at the size DAIFA_SCALE says (CI size by
 *   default; bench/ runs them at full size);
 * - e2e: the dashboard in Chromium.
 * Most tests wait on sockets and timers, not on the CPU: four files run at once even on two cores.
 */
const shared = { testTimeout: 60_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    pool: 'forks',
    // On PostgreSQL two at a time: the database server takes its share of the two cores (the e2e dashboard file, the
    // long pole, sets the suite's time either way). Files creating and dropping schemas side by side are safe since
    // migrateToLatest reads only its own schema's catalogue (test/service/migrations.test.ts churns schemas meanwhile).
    maxWorkers: Number(process.env.DAIFA_TEST_WORKERS ?? ((process.env.DATABASE_URL ?? '').startsWith('postgres') ? 2 : 4)),
    minWorkers: 1,
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts', 'sandbox/**/*.test.ts', 'test/unit/**/*.test.ts'], ...shared } },
      { extends: true, test: { name: 'service', include: ['test/service/**/*.test.ts'], ...shared } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/contract/**/*.test.ts', 'test/security/**/*.test.ts'],
          ...shared,
        },
      },
      { extends: true, test: { name: 'resilience', include: ['test/resilience/**/*.test.ts'], ...shared } },
      // A browser walking pages on a loaded 2-core machine: three minutes a test (a test that fails still says what it
      // waited for; the time only bounds how long a failure takes to report).
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...shared, testTimeout: 180_000 },
      },
    ],
  },
});
