import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { HomeTimer } from '../../src/engine/home/service.js';
import { FakeSlackApi, type SlackCall } from '../fakes/slack-api.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { eventBody, sendSigned, slashCommandBody, TEST_SIGNING_SECRET } from '../support/slack-signing.js';

/**
 * The App Home tab through the real Bolt app and Web API client against the fake Slack: published
 * on app_home_opened, republished (debounced, on a timer the test fires) when what it shows
 * changes, one user's tab never showing another's locks, and always within 100 blocks.
 */

const TOKEN = 'xoxb-test-token';
const ADMIN = 'U0ADMIN';
const APPLIER = 'U0APPLIER';

/** The debounce's timer, fired by the test: no test waits on the wall clock for a refresh. */
const armed: (() => void)[] = [];
const timer: HomeTimer = {
  set: (run) => {
    armed.push(run);
    return run;
  },
  clear: (handle) => {
    const at = armed.indexOf(handle as () => void);
    if (at >= 0) armed.splice(at, 1);
  },
};
const fire = () => {
  for (const run of armed.splice(0)) run();
};

let fake: FakeSlackApi;
let app: HecklerApp;
let url: string;
let dataDir: string;

beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: [TOKEN] });
  dataDir = await mkdtemp(join(tmpdir(), 'heckler-home-'));
  const config = testConfig(
    {
      slack: { port: 0, path: '/slack/events', apiUrl: fake.apiUrl },
      storage: { dataDir, keyPrefix: 'home' },
    },
    { secrets: { slackBotToken: TOKEN, slackSigningSecret: TEST_SIGNING_SECRET }, mode: 'slack' },
  );
  app = await composeApp(config, {
    logger: captureLogger([TOKEN, TEST_SIGNING_SECRET], 'info').logger,
    version: '0.0.0-test',
    scheduler: false,
    home: { timer },
    slack: { host: '127.0.0.1', clientOptions: { retryConfig: { retries: 0 } } },
  });
  const { port } = await app.start();
  url = `http://127.0.0.1:${port}/slack/events`;
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await fake?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const publishes = (user: string) => fake.callsTo('views.publish').filter((c) => c.args.user_id === user);
const viewText = (call: SlackCall) => JSON.stringify(call.args.view);
const open = async (user: string) => {
  const before = publishes(user).length;
  const body = eventBody({ type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home' });
  expect((await sendSigned(url, body)).status).toBe(200);
  return fake.waitFor(
    'views.publish',
    (c) => c.args.user_id === user && publishes(user).indexOf(c) >= before,
  );
};

describe('the App Home tab', () => {
  it('opening it publishes the dashboard, then the commands the user may run', async () => {
    const call = await open(APPLIER);
    expect(call.answer?.ok).toBe(true);
    const view = call.args.view as { type: string; blocks: unknown[] };
    expect(view.type).toBe('home');
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const text = viewText(call);
    expect(text).toContain('For <@U0APPLIER>');
    expect(text).toContain('You hold no node lock.');
    expect(text).toContain('Your recent decisions');
    expect(text.indexOf('Your locks')).toBeLessThan(text.indexOf('Heckler commands'));
  });

  it('the messages tab publishes nothing', async () => {
    const before = fake.callsTo('views.publish').length;
    const body = eventBody({ type: 'app_home_opened', user: ADMIN, channel: 'D0ADMIN', tab: 'messages' });
    expect((await sendSigned(url, body)).status).toBe(200);
    // A command answered after it proves the event was handled (deliveries run in order).
    const slash = slashCommandBody({ user: ADMIN, text: 'whoami', responseUrl: fake.responseUrl('R1') });
    await sendSigned(url, slash);
    await fake.waitForResponse('R1');
    expect(fake.callsTo('views.publish').length).toBe(before);
  });

  it('a change is republished once after the debounce, to the viewer it concerns only', async () => {
    await open(ADMIN);
    // What opening armed, run now; refresh() waits for it (refreshes run one at a time).
    fire();
    await app.services.home?.refresh();
    const applierBefore = publishes(APPLIER).length;
    const adminBefore = publishes(ADMIN).length;
    // A lock taken (by another replica, say), then a burst of commands: one refresh, when the timer fires.
    await app.services.nodeLocks.lockAll(['web1'], {
      owner: APPLIER,
      reason: 'kernel <!channel>',
      ttlMs: 3_600_000,
    });
    for (const id of ['R2', 'R3', 'R4']) {
      await sendSigned(
        url,
        slashCommandBody({ user: ADMIN, text: 'version', responseUrl: fake.responseUrl(id) }),
      );
      await fake.waitForResponse(id);
    }
    expect(armed).toHaveLength(1);
    expect(publishes(APPLIER)).toHaveLength(applierBefore);
    fire();
    const call = await fake.waitFor(
      'views.publish',
      (c) => c.args.user_id === APPLIER && publishes(APPLIER).indexOf(c) >= applierBefore,
    );
    const text = viewText(call);
    expect(text).toContain('*web1*: kernel &lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
    expect((call.args.view as { blocks: unknown[] }).blocks.length).toBeLessThanOrEqual(100);
    // The admin's dashboard shows no lock of theirs: it did not change, and is not published again.
    await app.services.home?.refresh();
    expect(publishes(ADMIN)).toHaveLength(adminBefore);
    expect(publishes(APPLIER)).toHaveLength(applierBefore + 1);
  });
});
