import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp } from '../../src/compose/app.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { waitFor } from '../support/process.js';
import { TEST_SIGNING_SECRET } from '../support/slack-signing.js';
import { parseExposition, sampleValue } from './exposition.js';

/**
 * Without Slack's HTTP server (Socket Mode, the shell; here a surface with nothing coming in) the
 * operations routes are served on `metrics.port`, and only when it is set.
 */
const dir = mkdtempSync(join(tmpdir(), 'heckler-metrics-port-'));
let fake: FakeSlackApi;
beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: ['xoxb-test-token'] });
});
afterAll(async () => {
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const portLogged = (lines: string[]) =>
  waitFor(
    () => {
      const line = lines.find((l) => l.includes('"msg":"metrics listening"'));
      return line ? (JSON.parse(line) as { port: number }).port : undefined;
    },
    { what: 'the metrics port in the log' },
  );

describe('metrics.port', { timeout: 60_000 }, () => {
  it('serves /metrics, /healthz and /readyz on their own port, and counts what the dispatcher handled', async () => {
    const { logger, lines } = captureLogger();
    const config = testConfig({
      storage: { dataDir: join(dir, 'a'), keyPrefix: 'port' },
      metrics: { port: 0 },
    });
    const app = await composeApp(config, { chat: new RecordingChat(), logger, scheduler: false });
    try {
      await app.start();
      const base = `http://127.0.0.1:${await portLogged(lines)}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect([ready.status, await ready.text()]).toEqual([200, 'ready\nstore: ok\nchat: ok\n']);
      await app.dispatcher.dispatch({
        text: 'whoami',
        user: 'U0NOBODY',
        channel: 'C1',
        respond: async () => undefined,
      });
      const samples = parseExposition(await (await fetch(`${base}/metrics`)).text());
      expect(sampleValue(samples, 'heckler_commands_total', { command: 'whoami', outcome: 'ok' })).toBe(1);
      // Nothing else is served there.
      expect((await fetch(`${base}/slack/events`, { method: 'POST' })).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('is not served when metrics.port is not set', async () => {
    const { logger, lines } = captureLogger();
    const config = testConfig({ storage: { dataDir: join(dir, 'b'), keyPrefix: 'port' } });
    const app = await composeApp(config, { chat: new RecordingChat(), logger, scheduler: false });
    try {
      await app.start();
      expect(lines.some((l) => l.includes('"msg":"metrics listening"'))).toBe(false);
      expect(lines.some((l) => l.includes('"msg":"heckler is listening"'))).toBe(true);
    } finally {
      await app.close();
    }
  });

  it("in Slack's HTTP mode, moves the routes off the public Slack port", async () => {
    const { logger, lines } = captureLogger();
    const config = testConfig(
      {
        storage: { dataDir: join(dir, 'c'), keyPrefix: 'port' },
        slack: { host: '127.0.0.1', port: 0, apiUrl: fake.apiUrl },
        metrics: { port: 0 },
      },
      {
        secrets: { slackBotToken: 'xoxb-test-token', slackSigningSecret: TEST_SIGNING_SECRET },
        mode: 'slack',
      },
    );
    const app = await composeApp(config, { logger, scheduler: false });
    try {
      const { port: slackPort } = await app.start();
      const base = `http://127.0.0.1:${await portLogged(lines)}`;
      expect(app.surface.kind).toBe('slack-http');
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      for (const path of ['/metrics', '/healthz', '/readyz'])
        expect((await fetch(`http://127.0.0.1:${slackPort}${path}`)).status, path).toBe(404);
    } finally {
      await app.close();
    }
  });
});
