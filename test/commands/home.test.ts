import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalText } from '../../src/bot/render/text.js';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { Message } from '../../src/engine/ports/index.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { textOf } from '../support/review-world.js';

/**
 * `/heckler home` through the dispatcher, as the terminal runs it: the same dashboard as the App
 * Home tab, each user seeing their own locks only; a bot without a Puppet repository shows no
 * fleet sections rather than empty ones.
 */
let app: HecklerApp;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'heckler-home-cmd-'));
  app = await composeApp(testConfig({ storage: { dataDir, keyPrefix: 'home-cmd' } }), {
    chat: new RecordingChat(),
    logger: captureLogger().logger,
    scheduler: false,
    version: 'test',
  });
});

afterAll(async () => {
  await app?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const home = async (user: string): Promise<Message> => {
  const answers: Message[] = [];
  await app.dispatcher.dispatch({
    text: 'home',
    user,
    channel: 'C1',
    origin: { surface: 'terminal', osUser: 'ops' },
    respond: async (message) => void answers.push(message),
  });
  const [answer] = answers;
  if (!answer || answers.length !== 1) throw new Error(`expected one answer, got ${answers.length}`);
  return answer;
};

describe('/heckler home', () => {
  it("shows the user's own locks, escaped, and not another user's", async () => {
    await app.services.nodeLocks.lockAll(['web1'], {
      owner: 'U0APPLIER',
      reason: 'kernel <!here> upgrade',
      ttlMs: 3_600_000,
    });
    const mine = textOf(await home('U0APPLIER'));
    expect(mine).toContain('*web1*: kernel &lt;!here&gt; upgrade · until ');
    const theirs = textOf(await home('U0ADMIN'));
    expect(theirs).toContain('_You hold no node lock._');
    expect(theirs).not.toContain('web1');
  });

  it('without a Puppet repository, says nothing of reviews, applies, the fleet or permadiffs', async () => {
    const text = textOf(await home('U0ADMIN'));
    for (const absent of [
      'Waiting for your approval',
      'Applies running',
      'The fleet by revision',
      'Your permadiffs',
    ])
      expect(text).not.toContain(absent);
    expect(text).toContain('*Your recent decisions*');
  });

  it('reads in the terminal as plain text, the lock reason as typed', async () => {
    const shown = terminalText(textOf(await home('U0APPLIER')), { U0APPLIER: 'abe' });
    expect(shown).toContain('For @abe');
    expect(shown).toContain('*web1*: kernel <!here> upgrade');
  });
});
