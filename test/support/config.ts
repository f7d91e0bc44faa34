import { type Config, type ConfigFile, configFileSchema } from '../../src/config/schema.js';

/** A valid Config for tests: the file part goes through the real schema, so defaults match production. */
export const testConfig = (file: Record<string, unknown> = {}, extra: Partial<Config> = {}): Config => {
  const parsed: ConfigFile = configFileSchema.parse({
    users: { U0ADMIN: 'ada', U0APPLIER: 'abe', U0NOBODY: 'nob' },
    roles: { admins: ['U0ADMIN'], appliers: ['U0APPLIER'] },
    // Tests drive many noops from one user; the limit has its own test (test/commands/rate-limit.test.ts).
    limits: { expensive: { count: 1000 } },
    ...file,
  });
  return {
    ...parsed,
    path: '/test/heckler.yml',
    secrets: {},
    mode: 'shell',
    childEnv: { PATH: process.env.PATH ?? '' },
    ...extra,
  };
};
