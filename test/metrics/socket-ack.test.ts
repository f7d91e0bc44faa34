import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Receiver } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_PREFIX } from '../../src/bot/render/blocks.js';
import { type ListenerDeps, registerListeners } from '../../src/bot/slack/listeners.js';
import type { ChatRequest } from '../../src/commands/types.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { captureLogger } from '../support/logger.js';
import { waitFor } from '../support/process.js';
import { blockActionBody, eventBody, slashCommandBody } from '../support/slack-signing.js';

/**
 * Socket Mode has no HTTP request to time, so the listeners time each command and click from its
 * reaching Bolt to its ack. Deliveries come in through a receiver of our own, as Socket Mode's
 * does (`app.processEvent` with an ack of the transport's), so no WebSocket is needed.
 */
let dir: string;
let storage: Storage;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heckler-socket-ack-'));
  storage = await createStorage({ dataDir: dir, keyPrefix: 'ack' });
});
afterAll(async () => {
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

const form = (raw: string) => Object.fromEntries(new URLSearchParams(raw));

const world = (timeAcks: boolean) => {
  const receiver: Receiver = {
    init: () => undefined,
    start: async () => undefined,
    stop: async () => undefined,
  };
  const app = new App({
    receiver,
    token: 'xoxb-test',
    botId: 'B0BOT',
    botUserId: 'U0BOT',
    tokenVerificationEnabled: false,
  });
  const acks: number[] = [];
  const transportAcks: string[] = [];
  const requests: ChatRequest[] = [];
  const deps: ListenerDeps = {
    dispatcher: { dispatch: async (request) => void requests.push(request) },
    chat: new RecordingChat(),
    locks: storage.locks,
    logger: captureLogger().logger,
    publishHome: async () => undefined,
    track: () => undefined,
    ...(timeAcks ? { onAck: (ms: number) => void acks.push(ms) } : {}),
  };
  registerListeners(app, deps);
  const deliver = (body: Record<string, unknown>, kind: string) =>
    app.processEvent({ body, ack: async () => void transportAcks.push(kind) });
  return { acks, transportAcks, requests, deliver };
};

describe('ack timing in Socket Mode', () => {
  it('times each command and click once, after its ack; events and duplicates are not timed', async () => {
    const { acks, transportAcks, requests, deliver } = world(true);
    const command = form(
      slashCommandBody({ user: 'U0ALICE', text: 'help', responseUrl: 'http://127.0.0.1:9/r' }).raw,
    );
    await deliver(command, 'command');
    expect(transportAcks).toEqual(['command']);
    expect(acks).toHaveLength(1);
    expect(acks[0]).toBeGreaterThanOrEqual(0);

    const click = JSON.parse(
      form(
        blockActionBody({ user: 'U0ALICE', button: { action_id: `${ACTION_PREFIX}x`, value: 'whoami' } }).raw,
      ).payload as string,
    ) as Record<string, unknown>;
    await deliver(click, 'click');
    expect(acks).toHaveLength(2);

    // Slack delivering the same command again: acked, dropped, not timed.
    await deliver(command, 'command again');
    expect(transportAcks).toEqual(['command', 'click', 'command again']);
    expect(acks).toHaveLength(2);

    await deliver(
      JSON.parse(eventBody({ type: 'app_home_opened', user: 'U0ALICE', tab: 'messages' }).raw),
      'event',
    );
    expect(acks).toHaveLength(2);
    await waitFor(() => requests.length === 2, { what: 'both requests dispatched' });
    expect(requests.map((r) => r.text)).toEqual(['help', 'whoami']);
  });

  it('without a timer (HTTP mode, timed at the server) the listeners ack and dispatch as before', async () => {
    const { acks, transportAcks, requests, deliver } = world(false);
    await deliver(
      form(slashCommandBody({ user: 'U0BOB', text: 'version', responseUrl: 'http://127.0.0.1:9/r' }).raw),
      'c',
    );
    expect(transportAcks).toEqual(['c']);
    expect(acks).toEqual([]);
    await waitFor(() => requests.length === 1, { what: 'the request dispatched' });
  });
});
