import { describe, expect, it } from 'vitest';
import { configFileSchema } from '../../../src/config/schema.js';

describe('apply config', () => {
  it('has defaults an operations team can live with', () => {
    expect(configFileSchema.parse({}).apply).toEqual({
      confirmTimeout: 600_000,
      concurrency: 10,
      failureThreshold: 0,
      lockedNodes: 'skip',
      lockTtl: 120_000,
      shutdownGrace: 30_000,
      requireBuild: false,
    });
  });

  it.each([
    [{ lockedNodes: 3 }, { lockedNodes: 3 }],
    [{ lockedNodes: 'abort' }, { lockedNodes: 'abort' }],
    [{ concurrency: { canaries: 1, default: 20 } }, { concurrency: { canaries: 1, default: 20 } }],
    [
      { confirmTimeout: '2m', lockTtl: '30s', channel: 'C0APPLY' },
      { confirmTimeout: 120_000, lockTtl: 30_000, channel: 'C0APPLY' },
    ],
  ])('accepts %j', (apply, expected) => {
    expect(configFileSchema.parse({ apply }).apply).toMatchObject(expected);
  });

  it.each([
    [{ lockedNodes: 'wait' }, 'lockedNodes'],
    [{ concurrency: 0 }, 'concurrency'],
    [{ failureThreshold: -1 }, 'failureThreshold'],
    [{ lockTtl: 'soon' }, 'lockTtl'],
    [{ confirmTimout: '5m' }, ''],
  ])('refuses %j', (apply, key) => {
    const parsed = configFileSchema.safeParse({ apply });
    expect(parsed.success).toBe(false);
    if (!parsed.success && key) expect(parsed.error.issues[0]?.path).toEqual(['apply', key]);
  });
});
