import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { composeApp } from '../../src/compose/app.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { waitFor } from '../support/process.js';
import { parseExposition, sampleValue } from './exposition.js';

/**
 * Without Slack's HTTP server (Socket Mode, the shell; here a surface with nothing coming in) the
 * operations routes are served on `metrics.port`, and only when it is set.
 */
const dir = mkdtempSync(join(tmpdir(), 'heckler-metrics-port-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
});
