import { describe, expect, it } from 'vitest';
import { createDispatcher, createRegistry } from '../../src/commands/index.js';
import { createRateLimiter } from '../../src/commands/rate-limit.js';
import type { Services } from '../../src/commands/types.js';
import type { Message } from '../../src/engine/ports/index.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { embeddedNodeLocks } from '../support/node-locks.js';

/** Issue 10, item 6: expensive read-only commands have a per-user allowance; cheap ones do not. */
const manualClock = () => {
  let now = Date.parse('2026-12-02T09:00:00Z');
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
};

const setup = async () => {
  const clock = manualClock();
  const services: Services = {
    chat: new RecordingChat(),
    config: testConfig({ limits: { expensive: { count: 3, per: '1m' } } }),
    commands: createRegistry(),
    clock,
    logger: captureLogger().logger,
    version: 'test',
    nodeLocks: await embeddedNodeLocks(),
  };
  const dispatcher = createDispatcher(services);
  const ask = async (user: string, text: string) => {
    const answers: Message[] = [];
    await dispatcher.dispatch({ text, user, channel: 'C1', respond: async (m) => void answers.push(m) });
    return answers.map((m) => m.text).join('\n');
  };
  return { ask, clock };
};

describe('the allowance for commands that make the fleet work', () => {
  it('refuses the fourth expensive command in a minute, says when to retry, and lets it through after', async () => {
    const { ask, clock } = await setup();
    // Without a repository the commands fail for that reason: what matters is that they were admitted.
    for (const line of ['noop v2', 'status', 'nodes --check'])
      expect(await ask('U0NOBODY', line)).not.toMatch(/try again in/);
    clock.advance(20_000);
    const refused = await ask('U0NOBODY', 'noop v2 --full');
    expect(refused).toContain('`noop` makes the fleet work, and you ran 3 such commands in the last 1m');
    expect(refused).toContain('try again in 40s');
    // Another user has an allowance of their own; cheap commands are never counted or refused.
    expect(await ask('U0ADMIN', 'noop v2')).not.toMatch(/try again in/);
    expect(await ask('U0NOBODY', 'nodes')).not.toMatch(/try again in/);
    expect(await ask('U0NOBODY', 'help')).toContain('Commands you may run');
    clock.advance(40_000);
    expect(await ask('U0NOBODY', 'status')).not.toMatch(/try again in/);
  });

  it.each<[string, number[], boolean[]]>([
    ['spread out', [0, 30_000, 60_000, 90_000], [true, true, true, true]],
    ['a burst', [0, 1, 2, 3], [true, true, false, false]],
    ['the window slides', [0, 10_000, 59_999, 60_000], [true, true, false, true]],
  ])('a sliding window of 2 per minute: %s', (_, times, admitted) => {
    let now = 0;
    const limiter = createRateLimiter({ max: 2, windowMs: 60_000, clock: { now: () => now } });
    const results = times.map((at) => {
      now = at;
      return limiter.take('U1').ok;
    });
    expect(results).toEqual(admitted);
  });
});
