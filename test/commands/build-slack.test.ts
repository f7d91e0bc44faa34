import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackBlock } from '../../src/bot/render/blocks.js';
import { SlackChat } from '../../src/bot/slack/chat.js';
import {
  BUILDS_CHANNEL,
  type BuildsHarness,
  createOrigin,
  startBuilds,
  textOf,
} from '../engine/builds/service-harness.js';
import { FakeSlackApi, type SlackCall } from '../fakes/slack-api.js';
import { TEST_IMAGE, type TestDocker, useDocker } from '../support/docker.js';

/** A build seen from Slack: the real SlackChat and Block Kit renderer against the fake Web API. */
const TOKEN = 'xoxb-build-test-token';
let docker: TestDocker;
let slack: FakeSlackApi;
let h: BuildsHarness;
let dir: string;

const sections = (call: SlackCall | undefined) =>
  ((call?.args.blocks ?? []) as SlackBlock[])
    .flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []))
    .join('\n');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hk-bslack-'));
  [docker, slack] = await Promise.all([useDocker(), FakeSlackApi.start({ tokens: [TOKEN] })]);
  const origin = await createOrigin(join(dir, 'origin'));
  await origin.commit('main', {
    'ocelot.yml': `image: ${TEST_IMAGE}\nstages:\n  - name: one\n    script: [echo one]\n  - name: two\n    script: ["echo broken", "exit 2"]\n`,
  });
  const client = new webApi.WebClient(TOKEN, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    logLevel: webApi.LogLevel.ERROR,
  });
  h = await startBuilds(
    docker,
    { repos: [{ name: 'infra/api', url: origin.path }] },
    {},
    { chat: new SlackChat(client) },
  );
}, 120_000);

afterAll(async () => {
  await h?.close();
  await slack?.stop();
  await docker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a build in Slack', () => {
  it('posts the build message, edits it in place and replies per stage in its thread', async () => {
    expect(textOf(await h.ask('build infra/api'))).toMatch(/queued build #1 of infra\/api main/);
    await h.idle();
    const [message, ...replies] = slack.callsTo('chat.postMessage');
    expect(message?.args).toMatchObject({ channel: BUILDS_CHANNEL });
    expect(message?.args.thread_ts).toBeUndefined();
    const ts = slack.callsTo('chat.update')[0]?.args.ts;
    expect(ts).toEqual(expect.stringMatching(/^\d+\.\d{6}$/));
    for (const update of slack.callsTo('chat.update'))
      expect(update.args).toMatchObject({ channel: BUILDS_CHANNEL, ts });
    expect(replies.map((reply) => reply.args.thread_ts)).toEqual([ts, ts]);
    expect(sections(replies[0])).toMatch(/:white_check_mark: one — passed · exit 0/);
    expect(sections(replies[1])).toMatch(/:x: two — failed · exit 2[\s\S]*```\nbroken\n```/);
    expect(sections(slack.callsTo('chat.update').at(-1))).toMatch(
      /:x: \*Build #1 infra\/api `main` `[0-9a-f]{7}`\* — failed in/,
    );
  });
});
