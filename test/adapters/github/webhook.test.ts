import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWebhookRoute, type WebhookRoute } from '../../../src/adapters/github/webhook.js';
import type { WebhookEvent } from '../../../src/adapters/github/webhook-events.js';
import { githubSignature } from '../../../src/adapters/github/webhook-signature.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { deliver, streamBody } from '../../support/github-webhook.js';
import { captureLogger } from '../../support/logger.js';

/**
 * The route on a real HTTP server with the delivery ids in a real Redis: what GitHub sends is
 * accepted once, and everything else is refused before it does anything.
 */
const SECRET = 'whsec-test-0123456789abcdef';
const SHA = 'b'.repeat(40);
const push = { ref: 'refs/heads/main', after: SHA, deleted: false, repository: { full_name: 'acme/api' } };
const MAX = 64 * 1024;

let server: Server;
let url: string;
let storage: Storage;
let route: WebhookRoute;
const handled: Array<{ event: WebhookEvent; delivery: string }> = [];
const log = captureLogger();

beforeAll(async () => {
  storage = await createStorage({
    redisUrl: inject('redisUrl'),
    dataDir: '/nonexistent',
    keyPrefix: `test-webhook-${randomUUID().slice(0, 8)}`,
  });
  route = createWebhookRoute({
    secret: SECRET,
    deliveries: storage.store<number>('github-deliveries'),
    replayWindowMs: 60_000,
    maxBytes: MAX,
    bodyTimeoutMs: 2_000,
    onEvent: async (event, delivery) => void handled.push({ event, delivery }),
    logger: log.logger,
    now: () => 1_700_000_000_000,
  });
  server = createServer((req, res) => {
    if (!route.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/github/webhook`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await storage?.close();
});

const handledSince = async (before: number) => {
  await route.settled();
  return handled.slice(before);
};

describe('POST /github/webhook', () => {
  it('accepts a push signed as GitHub signs it, and hands it over once', async () => {
    const before = handled.length;
    const answer = await deliver(url, 'push', push, {
      secret: SECRET,
      headers: { 'x-github-delivery': 'd-push-1' },
    });
    expect(answer).toEqual({ status: 202, text: 'accepted\n' });
    expect(await handledSince(before)).toEqual([
      {
        delivery: 'd-push-1',
        event: { kind: 'push', repo: 'acme/api', ref: 'refs/heads/main', after: SHA, deleted: false },
      },
    ]);
  });

  it('answers a ping with pong and an unused event with what it ignored', async () => {
    expect(await deliver(url, 'ping', { zen: 'Speak like a human.' }, { secret: SECRET })).toEqual({
      status: 200,
      text: 'pong\n',
    });
    expect((await deliver(url, 'star', { action: 'created' }, { secret: SECRET })).text).toBe(
      'ignored: star events are not used\n',
    );
  });

  it.each<[string, Parameters<typeof deliver>[3], number, RegExp]>([
    ['unsigned', {}, 401, /^unsigned: set a secret/],
    ['signed with another secret', { secret: 'not-the-secret' }, 401, /signature does not match/],
    [
      'with a sha1 signature only',
      { headers: { 'x-hub-signature': `sha1=${'a'.repeat(40)}` } },
      401,
      /^unsigned/,
    ],
    [
      'with a malformed signature',
      { headers: { 'x-hub-signature-256': 'sha256=xyz' } },
      401,
      /not sha256=<hex>/,
    ],
    [
      'without a delivery id',
      { secret: SECRET, headers: { 'x-github-delivery': undefined } },
      400,
      /Delivery/,
    ],
    [
      'with a delivery id of markup',
      { secret: SECRET, headers: { 'x-github-delivery': '<!here>' } },
      400,
      /Delivery/,
    ],
    [
      'as a form',
      { secret: SECRET, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      415,
      /application\/json/,
    ],
  ])('refuses a delivery %s and hands nothing over', async (_what, options, status, text) => {
    const before = handled.length;
    const answer = await deliver(url, 'push', push, options);
    expect(answer.status).toBe(status);
    expect(answer.text).toMatch(text);
    expect(await handledSince(before)).toEqual([]);
  });

  it('refuses a body signed correctly but altered on the way (one byte)', async () => {
    const body = Buffer.from(JSON.stringify(push));
    const signature = githubSignature(SECRET, body);
    const altered = Buffer.from(JSON.stringify({ ...push, ref: 'refs/heads/mair' }));
    const before = handled.length;
    const answer = await deliver(url, 'push', undefined, {
      raw: altered,
      headers: { 'x-hub-signature-256': signature },
    });
    expect(answer.status).toBe(401);
    expect(await handledSince(before)).toEqual([]);
  });

  it('refuses a replayed delivery with 409, and a race of twenty copies is handled exactly once', async () => {
    const before = handled.length;
    const raw = Buffer.from(JSON.stringify(push));
    const headers = { 'x-github-delivery': 'd-race-1', 'x-hub-signature-256': githubSignature(SECRET, raw) };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => deliver(url, 'push', undefined, { raw, headers })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([202, ...Array<number>(19).fill(409)]);
    expect((await deliver(url, 'push', undefined, { raw, headers })).text).toBe(
      'delivery d-race-1 was handled already\n',
    );
    expect((await handledSince(before)).map((h) => h.delivery)).toEqual(['d-race-1']);
  });

  it('does not let a forged delivery use up a real delivery id', async () => {
    const forged = await deliver(url, 'push', push, {
      secret: 'forger',
      headers: { 'x-github-delivery': 'd-real-2' },
    });
    expect(forged.status).toBe(401);
    const real = await deliver(url, 'push', push, {
      secret: SECRET,
      headers: { 'x-github-delivery': 'd-real-2' },
    });
    expect(real.status).toBe(202);
  });

  it('refuses a body declared over the cap with 413 before reading it', async () => {
    const before = handled.length;
    const raw = Buffer.alloc(MAX + 1, 0x20);
    const answer = await deliver(url, 'push', undefined, {
      raw,
      headers: { 'x-hub-signature-256': githubSignature(SECRET, raw) },
    });
    expect(answer.status).toBe(413);
    expect(await handledSince(before)).toEqual([]);
  });

  it('stops reading a streamed body at the cap and answers 413 (25 MB offered)', async () => {
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': 'd-stream-1',
      'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      'transfer-encoding': 'chunked',
    };
    const { status, sent } = await streamBody(url, headers, Buffer.alloc(16 * 1024, 0x20), 25 * 1024 ** 2);
    expect(status).toBe(413);
    expect(sent).toBeLessThan(25 * 1024 ** 2);
  });

  it('refuses a signed body that is not JSON, and a push without its fields', async () => {
    expect(
      (await deliver(url, 'push', undefined, { secret: SECRET, raw: Buffer.from('{nope') })).status,
    ).toBe(400);
    const answer = await deliver(url, 'push', { ref: 'refs/heads/main' }, { secret: SECRET });
    expect(answer).toEqual({ status: 400, text: 'a push without repository, ref or after\n' });
  });

  it('answers other methods with 405 and leaves other paths to the server', async () => {
    expect((await fetch(url)).status).toBe(405);
    expect((await fetch(url.replace('/github/webhook', '/github/webhook2'), { method: 'POST' })).status).toBe(
      404,
    );
  });

  it('logs each refusal with its reason and never the secret, a signature or the body', () => {
    const refusals = log.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((l) => l.msg === 'github webhook refused');
    expect(new Set(refusals.map((r) => r.why))).toEqual(
      new Set([
        'unsigned',
        'bad-signature',
        'bad-headers',
        'content-type',
        'replayed',
        'too-large',
        'bad-json',
        'bad-payload',
      ]),
    );
    expect(refusals.find((r) => r.why === 'replayed')).toMatchObject({
      status: 409,
      delivery: 'd-race-1',
      event: 'push',
    });
    const text = log.text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('sha256=');
    expect(text).not.toContain('refs/heads/mair');
  });
});

describe('with the embedded store (no Redis)', () => {
  it('still handles a delivery raced twenty times exactly once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hk-webhook-embedded-'));
    const embedded = await createStorage({ dataDir, keyPrefix: 'embedded' });
    const seen: string[] = [];
    const local = createWebhookRoute({
      secret: SECRET,
      deliveries: embedded.store<number>('github-deliveries'),
      replayWindowMs: 60_000,
      maxBytes: MAX,
      onEvent: async (_event, delivery) => void seen.push(delivery),
      logger: captureLogger().logger,
      now: () => 0,
    });
    const own = createServer((req, res) => {
      if (!local.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
    try {
      const target = `http://127.0.0.1:${(own.address() as AddressInfo).port}/github/webhook`;
      const raw = Buffer.from(JSON.stringify(push));
      const headers = {
        'x-github-delivery': 'embedded-1',
        'x-hub-signature-256': githubSignature(SECRET, raw),
      };
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => deliver(target, 'push', undefined, { raw, headers })),
      );
      expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
      await local.settled();
      expect(seen).toEqual(['embedded-1']);
    } finally {
      own.closeAllConnections();
      await new Promise((resolve) => own.close(resolve));
      await embedded.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
