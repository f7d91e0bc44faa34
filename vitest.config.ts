import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Test files share the machine's two cores with real services; a few at a time is fastest.
    maxWorkers: 2,
    // Each worker imports src/ once for all its files: isolated, every file paid ~1-3 CPU-seconds
    // importing the app again (about a fifth of the suite's CPU). No test mocks modules or
    // changes process-wide state, and every file makes its own stores, fleets and servers.
    isolate: false,
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
      : ['default'],
  },
});
