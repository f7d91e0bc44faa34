import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { captureLogger } from './support/logger.js';

const example = `${import.meta.dirname}/../examples/heckler.yml`;

describe('logging never shows secrets', () => {
  const env = {
    SLACK_BOT_TOKEN: 'xoxb-1234-5678-abcdefSECRET',
    SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543',
    REDIS_URL: 'redis://:hunter2-password@127.0.0.1:6379/0',
  };
  const config = loadConfig({ argv: [], env, defaultPath: example });
  const secretValues = [env.SLACK_BOT_TOKEN, env.SLACK_SIGNING_SECRET, env.REDIS_URL];

  it('masks configured secret values wherever they appear, and secret-named fields', () => {
    const { logger, text, lines } = captureLogger(Object.values(config.secrets));
    logger.info({ config }, 'loaded config');
    logger.info({ secrets: config.secrets }, 'secrets object');
    logger.warn({ url: config.secrets.redisUrl }, 'connecting');
    logger.warn({ host: '127.0.0.1', password: undefined }, 'redis said: WRONGPASS for hunter2-password');
    logger.error({ err: new Error(`auth failed for token ${env.SLACK_BOT_TOKEN}`) }, 'slack call failed');
    logger.info({ request: { headers: { authorization: `Bearer ${env.SLACK_BOT_TOKEN}` } } }, 'outgoing');
    logger
      .child({ token: 'xoxb-in-a-child-binding' })
      .info({}, `message mentioning ${env.SLACK_SIGNING_SECRET}`);
    expect(lines).toHaveLength(7);
    for (const secret of [...secretValues, 'hunter2-password', 'xoxb-in-a-child-binding']) {
      expect(text()).not.toContain(secret);
    }
    expect(text()).toContain('[redacted]');
    // The rest of the line survives, so the log stays useful.
    expect(text()).toContain('auth failed for token');
    expect(text()).toContain('loaded config');
  });

  it('without the masking layer the same line would leak (the test can fail)', () => {
    const { logger, text } = captureLogger([]);
    logger.error({ err: new Error(`auth failed for token ${env.SLACK_BOT_TOKEN}`) }, 'slack call failed');
    expect(text()).toContain(env.SLACK_BOT_TOKEN);
  });
});
