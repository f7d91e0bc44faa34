import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SLACK_LIMITS } from '../../src/bot/render/slack-limits.js';
import { SlackChat } from '../../src/bot/slack/chat.js';
import { reviewMessage } from '../../src/commands/views/review.js';
import { groupDeltas, type NodeDelta } from '../../src/engine/delta/index.js';
import type { Message } from '../../src/engine/ports/message.js';
import type { ResourceChange } from '../../src/engine/puppet/index.js';
import type { ReviewRecord } from '../../src/engine/review/records.js';
import { FakeSlackApi, type SlackCall } from '../fakes/slack-api.js';
import { blocksText, MESSAGE_TEXT_LIMIT } from '../fakes/slack-api-methods.js';

/**
 * Messages bigger than Slack takes in one (~12,000 characters of block text), through the real
 * WebClient against the fake Slack, which refuses such a message with `msg_blocks_too_long`.
 */
const TOKEN = 'xoxb-test-token';
let fake: FakeSlackApi;
let chat: SlackChat;

beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: [TOKEN] });
});

beforeEach(() => {
  fake.calls.length = 0;
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

/** A review of 45 changes on 3 nodes, each file's diff 30 lines long: over 40,000 characters in all. */
const bigReview = (): ReviewRecord => {
  const change = (g: number): ResourceChange => ({
    type: 'File',
    title: `/etc/app/conf.d/part-${g}.conf`,
    file: `modules/app/manifests/part${g}.pp`,
    line: g,
    events: [{ property: 'content', from: '{sha256}aaa', to: '{sha256}bbb' }],
    diff: Array.from({ length: 30 }, (_, l) => `+ part ${g} line ${l}: limit = ${g * l}`).join('\n'),
    refresh: false,
    failed: false,
    skipped: false,
    logs: [],
  });
  const deltas: NodeDelta[] = ['web1', 'web2', 'web3'].map((node) => ({
    node,
    kind: 'changes',
    resources: Array.from({ length: 45 }, (_, g) => change(g)),
    evalErrors: [],
    parentErrors: [],
  }));
  const grouped = groupDeltas(deltas, { ignored: [] });
  return {
    sha: 'b'.repeat(40),
    shortSha: 'bbbbbbb',
    subject: 'app: raise every limit',
    committedAt: 0,
    authors: ['U0ALICE'],
    unmappedAuthors: [],
    fleetHash: 'f',
    deltaHash: grouped.deltaHash,
    computedAt: 0,
    grouped,
    groupOwners: grouped.groups.map(() => ({ owners: ['U0BOB'], unmapped: [], source: 'module' as const })),
    evalOwners: [],
    decisions: [],
    notes: [],
  };
};

const posts = () => fake.callsTo('chat.postMessage');
const repliesTo = (ts: string) => posts().filter((call) => call.args.thread_ts === ts);
const allText = (calls: SlackCall[]) => calls.map((call) => JSON.stringify(call.args.blocks)).join('\n');

/** A long progress message: `lines` lines of ~60 characters, each naming the `round`. */
const longProgress = (round: number, lines = 600): Message => ({
  text: `apply #7: round ${round}`,
  blocks: [
    { kind: 'header', text: `apply #7 round ${round}` },
    {
      kind: 'code',
      text: Array.from(
        { length: lines },
        (_, i) => `node${String(i).padStart(3, '0')}: round ${round} ok ${'.'.repeat(30)}`,
      ).join('\n'),
    },
  ],
});

describe('a message over the text budget', () => {
  it('posts a 40,000-character review as one message and its Full diff file, losing nothing', async () => {
    // A review keeps itself within one message (src/commands/views/review-budget.ts); other
    // messages continue in their thread, below.
    const record = bigReview();
    const diffLines = record.grouped.groups.flatMap((g) => g.resource.diff?.split('\n') ?? []);
    expect(diffLines.join('\n').length).toBeGreaterThan(40_000);
    const ref = await chat.post('C0REVIEWS', reviewMessage(record));
    const [main, ...rest] = posts();
    expect(rest).toEqual([]);
    expect(blocksText(main!.args.blocks)).toBeLessThanOrEqual(MESSAGE_TEXT_LIMIT);
    expect(JSON.stringify(main!.args.blocks)).toContain(`"value":"approve ${record.sha}@`);
    expect(fake.callsTo('files.completeUploadExternal')[0]?.args).toMatchObject({ thread_ts: ref.ts });
    const file = fake.uploads.at(-1)?.content ?? '';
    for (const line of diffLines) expect(file).toContain(line);
  });

  it('edits its continuations when it is updated, instead of posting them again', async () => {
    const ref = await chat.post('C0APPLY', longProgress(1));
    const continuations = repliesTo(ref.ts);
    expect(continuations.length).toBeGreaterThanOrEqual(2);
    await chat.update(ref, longProgress(2));
    await chat.update(ref, longProgress(3));

    // Today's budget and the continuations of round 1, edited twice: no reply beyond those.
    expect(repliesTo(ref.ts)).toHaveLength(continuations.length);
    const updates = fake.callsTo('chat.update');
    expect(updates.filter((u) => u.args.ts === ref.ts)).toHaveLength(2);
    const edited = continuations.map((c) => updates.filter((u) => u.args.ts === c.answer?.ts));
    for (const edits of edited) expect(edits).toHaveLength(2);
    const last = [updates.filter((u) => u.args.ts === ref.ts).at(-1)!, ...edited.map((e) => e.at(-1)!)];
    for (let i = 0; i < 600; i += 1)
      expect(allText(last)).toContain(`node${String(i).padStart(3, '0')}: round 3 ok`);
    for (const call of last)
      expect(blocksText(call.args.blocks)).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
  });

  it('posts only the continuations a longer state needs and deletes those a shorter one does not', async () => {
    const ref = await chat.post('C0APPLY', longProgress(1, 300));
    const before = repliesTo(ref.ts).length;
    await chat.update(ref, longProgress(2, 900));
    const grown = repliesTo(ref.ts).length;
    expect(grown).toBeGreaterThan(before);
    await chat.update(ref, longProgress(3, 10));
    expect(repliesTo(ref.ts)).toHaveLength(grown);
    expect(fake.callsTo('chat.delete')).toHaveLength(grown);
    const main = fake
      .callsTo('chat.update')
      .filter((u) => u.args.ts === ref.ts)
      .at(-1);
    expect(JSON.stringify(main?.args.blocks)).not.toContain('continued in thread');
  });

  it("continues a reply that grows in the reply's own thread", async () => {
    const parent = await chat.post('C0APPLY', { text: 'apply #8', blocks: [] });
    const reply = await chat.reply(parent, { text: 'stage 1: 0/600', blocks: [] });
    await chat.update(reply, longProgress(1));
    const continuations = posts().filter((call) => call.answer?.ts !== reply.ts && call.args.thread_ts);
    expect(continuations.length).toBeGreaterThanOrEqual(2);
    for (const call of continuations) expect(call.args.thread_ts).toBe(parent.ts);
  });
});
