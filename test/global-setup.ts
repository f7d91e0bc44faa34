import type { TestProject } from 'vitest/node';
import { startRedis } from './support/redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** One Redis for the whole run; each test file uses its own key prefix on it. */
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedis();
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
