import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SocketHarness, startSocketHarness } from '../support/slack-socket-harness.js';

/**
 * Stopping while @slack/socket-mode is between failed reconnects: each failed attempt leaves a
 * start() promise that the client rejects, unhandled, when it is told to disconnect. Unguarded
 * that ends Node (vitest reports it as an error, failing this file).
 */
let slack: SocketHarness;
beforeAll(async () => {
  slack = await startSocketHarness('socket-mode-stop', { clientPingTimeoutMs: 500 });
});
afterAll(async () => {
  await slack?.stop();
});

describe('stopping between failed reconnects', () => {
  it('ends quietly', async () => {
    const connection = slack.socket.current!;
    slack.socket.refuseUpgrades = true;
    const refusals = slack.socket.refused.length;
    connection.socket.terminate();
    // Two attempts refused: the first attempt's start() promise is pending when we stop.
    await slack.socket.waitForRefusals(refusals + 2);
    await slack.app.stop();
    await slack.app.surface.ended;
    expect(slack.app.surface.connected()).toBe(false);
    expect(slack.socket.helloCount).toBe(1);
  });
});
