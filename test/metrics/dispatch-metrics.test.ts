import { describe, expect, it } from 'vitest';
import { createPrometheusMetrics } from '../../src/adapters/metrics/prometheus.js';
import { outcomeOf } from '../../src/commands/dispatch.js';
import { allCommands, createDispatcher, createRegistry } from '../../src/commands/index.js';
import type { CommandSpec, Services } from '../../src/commands/types.js';
import { HecklerError } from '../../src/engine/errors.js';
import { systemClock } from '../../src/engine/ports/index.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { embeddedNodeLocks } from '../support/node-locks.js';
import { parseExposition, sampleValue } from './exposition.js';

describe('how a request ended', () => {
  it.each([
    [new HecklerError('USAGE', 'x'), 'usage'],
    [new HecklerError('UNKNOWN_COMMAND', 'x'), 'usage'],
    [new HecklerError('NOT_AUTHORIZED', 'x'), 'denied'],
    [new HecklerError('RATE_LIMITED', 'x'), 'rate_limited'],
    [new HecklerError('LOCK_HELD', 'x'), 'refused'],
    [new HecklerError('STORE_UNAVAILABLE', 'x'), 'refused'],
    [new Error('disk on fire'), 'error'],
    ['a string', 'error'],
  ])('%s → %s', (error, outcome) => {
    expect(outcomeOf(error)).toBe(outcome);
  });
});

const explode: CommandSpec = {
  name: 'explode',
  summary: 'Fails on purpose, for tests',
  args: [],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['explode'],
  run: async () => {
    throw new Error('disk on fire');
  },
};

describe('the dispatcher counts what it handled', () => {
  it('by command and outcome, with what users typed kept out of the labels', async () => {
    const commands = [...allCommands, explode];
    const metrics = createPrometheusMetrics({
      commands: commands.map((c) => c.name),
      nodes: [],
      processMetrics: false,
    });
    const services: Services = {
      chat: new RecordingChat(),
      config: testConfig({ limits: { expensive: { count: 1, per: '1h' } } }),
      commands: createRegistry(commands),
      clock: systemClock,
      logger: captureLogger().logger,
      version: '9.9.9',
      nodeLocks: await embeddedNodeLocks(),
    };
    const dispatcher = createDispatcher(services, { metrics });
    const say = (user: string, text: string) =>
      dispatcher.dispatch({ text, user, channel: 'C1', respond: async () => undefined });
    await say('U0NOBODY', 'help');
    await say('U0NOBODY', '');
    await say('U0NOBODY', 'whoami');
    await say('U0NOBODY', 'frobnicate <!channel>');
    await say('U0NOBODY', 'unlock web1');
    await say('U0NOBODY', 'explode');
    await say('U0ADMIN', 'doctor');
    const samples = parseExposition((await metrics.scrape()).body);
    const count = (command: string, outcome: string) =>
      sampleValue(samples, 'heckler_commands_total', { command, outcome });
    expect(count('help', 'ok')).toBe(2);
    expect(count('whoami', 'ok')).toBe(1);
    expect(count('unknown', 'usage')).toBe(1);
    expect(count('unlock', 'denied')).toBe(1);
    expect(count('explode', 'error')).toBe(1);
    // No doctor in these services: a refusal that says so.
    expect(count('doctor', 'refused')).toBe(1);
    const total = samples
      .filter((s) => s.name === 'heckler_commands_total')
      .reduce((sum, s) => sum + s.value, 0);
    expect(total).toBe(7);
    expect((await metrics.scrape()).body).not.toContain('frobnicate');
  });
});
