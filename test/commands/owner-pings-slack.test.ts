import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackChat } from '../../src/bot/slack/chat.js';
import { ownerGroupsMessage, ownerPingMessage } from '../../src/commands/views/owner-ping.js';
import { groupDeltas, type NodeDelta } from '../../src/engine/delta/index.js';
import { createOwnerPings, type PingRecord } from '../../src/engine/review/owner-pings.js';
import type { ReviewRecord } from '../../src/engine/review/records.js';
import { groupOwner } from '../../src/engine/text/mrkdwn.js';
import { createMemoryStore } from '../../src/storage/memory-store.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { captureLogger } from '../support/logger.js';
import { H } from './views/hostile-records.js';

/**
 * Owner pings through the real WebClient against the fake Slack: the DMs are chat.postMessage
 * calls to each owner's user id that Slack accepts (blocks within 50, text escaped), and the user
 * group mention reaches Slack as a live `<!subteam^…>` token in the review's thread, while a
 * hostile subject's `<!channel>` does not.
 */
const TOKEN = 'xoxb-test-token';
let fake: FakeSlackApi;
let chat: SlackChat;

beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: [TOKEN] });
  chat = new SlackChat(
    new webApi.WebClient(TOKEN, {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logLevel: webApi.LogLevel.ERROR,
    }),
  );
});

afterAll(async () => {
  await fake?.stop();
});

const record = (message: ReviewRecord['message']): ReviewRecord => {
  const deltas: NodeDelta[] = Array.from({ length: 40 }, (_, n) => ({
    node: `web${n}`,
    kind: 'changes',
    resources: Array.from({ length: 30 }, (_, r) => ({
      type: 'File',
      title: `/etc/${H}/${r}${'x'.repeat(500)}`,
      file: `modules/${H}/init.pp`,
      line: r,
      events: [{ property: 'content', from: `${n}`, to: `${n + 1}` }],
      refresh: r % 2 === 0,
      failed: false,
      skipped: false,
      logs: [],
    })),
    evalErrors: [],
    parentErrors: [],
  }));
  const grouped = groupDeltas(deltas, { ignored: [] });
  return {
    sha: 'c'.repeat(40),
    shortSha: 'ccccccc',
    subject: `${H}${'s'.repeat(5000)}`,
    committedAt: 0,
    authors: ['U0DAVE'],
    unmappedAuthors: [],
    fleetHash: 'f',
    deltaHash: grouped.deltaHash,
    computedAt: 0,
    grouped,
    groupOwners: grouped.groups.map(() => ({
      owners: ['U0BOB', 'U0ERIN', groupOwner('S0INFRA')],
      unmapped: [],
      source: 'module' as const,
    })),
    evalOwners: [],
    decisions: [],
    notes: [],
    ...(message ? { message } : {}),
  };
};

describe('owner pings in Slack', () => {
  it('DM each owner once and mention the group in the thread, all accepted by Slack', async () => {
    const review = await chat.post('CREVIEW', { text: 'the review', blocks: [] });
    const pings = createOwnerPings({
      chat,
      store: createMemoryStore<PingRecord>(),
      clock: { now: () => 0 },
      logger: captureLogger().logger,
      views: { owner: ownerPingMessage(), groups: ownerGroupsMessage },
      pending: async () => [],
      reminders: { afterMs: 1, hours: { from: 0, to: 24 }, timeZone: 'UTC' },
      permalink: (ref) => chat.permalink(ref),
    });
    const before = fake.calls.length;
    await pings.onReview(record(review));
    await pings.onReview(record(review));
    const posts = fake.calls.slice(before).filter((c) => c.method === 'chat.postMessage');
    expect(posts.map((c) => c.args.channel).sort()).toEqual(['CREVIEW', 'U0BOB', 'U0ERIN']);
    for (const post of posts) {
      expect(post.answer?.ok).toBe(true);
      expect((post.args.blocks as unknown[]).length).toBeLessThanOrEqual(50);
      expect(JSON.stringify(post.args)).not.toMatch(/<!channel>|<!here>|<@U0ADMIN>|<https:\/\/evil/);
    }
    const dm = posts.find((c) => c.args.channel === 'U0BOB');
    expect(JSON.stringify(dm?.args.blocks)).toContain('…and 1192 more: see the review');
    expect(JSON.stringify(dm?.args.blocks)).toContain(
      `<https://heckler-test.slack.com/archives/CREVIEW/p${review.ts.replace('.', '')}|Open the review>`,
    );
    const group = posts.find((c) => c.args.channel === 'CREVIEW');
    expect(group?.args.thread_ts).toBe(review.ts);
    expect(String(group?.args.text)).toContain('<!subteam^S0INFRA>');
    expect(JSON.stringify(group?.args.blocks)).toContain('<!subteam^S0INFRA>');
  });
});
