import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskTickets } from '../../src/bot/slack/bolt-logger.js';
import { APP_TOKEN } from '../fakes/slack-socket-mode.js';
import { NOBODY, TOKEN } from '../support/slack-harness.js';
import { type SocketHarness, startSocketHarness } from '../support/slack-socket-harness.js';

/**
 * At debug level @slack/web-api logs apps.connections.open's answer, whose URL holds a ticket that
 * opens the app's connection to whoever has it. Neither token nor any ticket may reach the log.
 */
describe('maskTickets', () => {
  it.each([
    [
      'http request result: {"ok":true,"url":"wss://wss-primary.slack.com/link/?ticket=8a1f-2c&app_id=A1"}',
      'http request result: {"ok":true,"url":"wss://wss-primary.slack.com/link/?ticket=[redacted]&app_id=A1"}',
    ],
    ['wss://x/link/?app_id=A1&ticket=zz', 'wss://x/link/?app_id=A1&ticket=[redacted]'],
    ['url wss://x/link/?ticket=zz ok', 'url wss://x/link/?ticket=[redacted] ok'],
    ['{\\"url\\":\\"wss://x/?ticket=zz\\"}', '{\\"url\\":\\"wss://x/?ticket=[redacted]\\"}'],
    ['a ticket=zz that is no query', 'a ticket=zz that is no query'],
  ])('%s', (text, masked) => {
    expect(maskTickets(text)).toBe(masked);
  });
});

describe('the Socket Mode log at debug level', () => {
  let slack: SocketHarness;
  beforeAll(async () => {
    slack = await startSocketHarness('socket-mode-log', { logLevel: 'debug' });
  });
  afterAll(async () => {
    await slack?.stop();
  });

  it('holds no token and no ticket, through a command and a reconnect', async () => {
    await slack.answer(slack.slash(NOBODY, 'help').id);
    const hellos = slack.socket.helloCount;
    slack.socket.disconnect('refresh_requested');
    await slack.socket.waitForHello(hellos + 1);
    await slack.answer(slack.slash(NOBODY, 'whoami').id);
    const text = slack.log.text();
    // The client did log the URLs: masked.
    expect(text).toContain('ticket=[redacted]');
    expect(slack.socket.issued.length).toBeGreaterThanOrEqual(3);
    for (const ticket of slack.socket.issued) expect(text).not.toContain(ticket);
    expect(text).not.toContain(APP_TOKEN);
    expect(text).not.toContain(TOKEN);
  });
});
