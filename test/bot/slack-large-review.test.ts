import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ShellChat } from '../../src/bot/shell/chat.js';
import { SlackChat, type SlackChatOptions } from '../../src/bot/slack/chat.js';
import { reviewMessage } from '../../src/commands/views/review.js';
import { compressHosts, groupDeltas, type NodeDelta } from '../../src/engine/delta/index.js';
import type { ResourceChange } from '../../src/engine/puppet/index.js';
import type { ReviewRecord } from '../../src/engine/review/records.js';
import { escapeText } from '../../src/engine/text/mrkdwn.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { FakeSlackApi, type SlackCall } from '../fakes/slack-api.js';
import { blocksText, MESSAGE_TEXT_LIMIT } from '../fakes/slack-api-methods.js';

/**
 * A review of 2,000 nodes whose changes carry hostile text — mrkdwn and mention injection, a
 * 100,000-character line, binary bytes — through the real WebClient against the fake Slack, which
 * refuses a message over Slack's limits. The message fits one Slack message, the thread gets one
 * "Full diff" file with all of it as plain text, and the file is attached again only when its
 * content changes.
 */
const TOKEN = 'xoxb-test-token';
const NODES = Array.from(
  { length: 2000 },
  (_, i) => `node${String(i + 1).padStart(4, '0')}.dc${(i % 3) + 1}`,
);
const HUGE_LINE = `+${'A<!channel>&'.repeat(8_000)}END-OF-HUGE-LINE`;
const BINARY = '\u0000\u0001\u0002PK\u0003\u0004\u00ff\u001b[31m\ud800';
const hostile = [
  '<!channel> <!here> <@U0ADMIN> <#C0OPS> <!subteam^S0ALL>',
  '*bold* _it_ ~gone~ ```fence``` <https://evil.example|click me>',
  '&amp; &lt;script&gt; & < >',
];

/** Change g is on every (g+1)-th node: host sets from 2,000 nodes down to a handful. */
const change = (g: number): ResourceChange => ({
  type: g % 3 === 0 ? 'File' : 'Exec',
  title: `/etc/app/${g}/${hostile[g % 3]}`,
  file: `modules/app/manifests/${hostile[(g + 1) % 3]}.pp`,
  line: g + 1,
  events: [{ property: 'content', from: `{sha256}${g}`, to: `<@U0ADMIN> ${g}` }],
  diff:
    g === 1
      ? `--- a\n+++ b\n${HUGE_LINE}\n`
      : g === 2
        ? `Binary files differ\n${BINARY}\n`
        : `--- a\n+++ b\n${Array.from({ length: 40 }, (_, l) => `+line ${l} of change ${g} ${hostile[l % 3]}`).join('\n')}\n`,
  refresh: g % 7 === 0,
  failed: false,
  skipped: false,
  logs: g % 5 === 0 ? [`log ${hostile[0]}`] : [],
});

const CHANGES = Array.from({ length: 400 }, (_, g) => change(g));

const hostileRecord = (changes: readonly ResourceChange[] = CHANGES): ReviewRecord => {
  const deltas: NodeDelta[] = NODES.map((node, n) => ({
    node,
    kind: 'changes',
    resources: changes.filter((_, g) => n % (g + 1) === 0),
    evalErrors: [],
    parentErrors: [],
  }));
  const grouped = groupDeltas(deltas, { ignored: [] });
  return {
    sha: 'c'.repeat(40),
    shortSha: 'ccccccc',
    subject: `release: ${hostile.join(' ')} ${'x'.repeat(3_000)}`,
    committedAt: 0,
    authors: ['U0ALICE'],
    unmappedAuthors: [`Mallory <@U0ADMIN> ${hostile[0]}`],
    fleetHash: 'f',
    deltaHash: grouped.deltaHash,
    computedAt: 0,
    grouped: {
      ...grouped,
      failures: [{ kind: 'failed', error: `${hostile[0]} ${'E'.repeat(20_000)}`, nodes: ['node9999.dc1'] }],
    },
    groupOwners: grouped.groups.map(() => ({ owners: ['U0BOB'], unmapped: [], source: 'module' as const })),
    evalOwners: [],
    decisions: [],
    // Notes are the engine's own mrkdwn, escaped where they quote anything.
    notes: [`note ${escapeText(hostile[0] ?? '')}`],
  };
};

let fake: FakeSlackApi;
let dir: string;
let storage: Storage;

const client = () =>
  new webApi.WebClient(TOKEN, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: webApi.LogLevel.ERROR,
  });
/** A bot process: its own memory, the store's claims shared as replicas (or a restart) share them. */
const replica = (options: SlackChatOptions = {}) =>
  new SlackChat(client(), {
    claimOnce: (key) => storage.locks.claimOnce(key, 86_400_000),
    ...options,
  });

const posts = () => fake.callsTo('chat.postMessage');
const shares = () => fake.callsTo('files.completeUploadExternal');
type AnyBlock = { type: string; text?: { type: string; text: string }; elements?: { text: string }[] };
const blocksOf = (call: SlackCall | undefined) => (call?.args.blocks ?? []) as AnyBlock[];
/** Slack's `<…>` tokens in a message's mrkdwn (a header is plain_text: Slack shows `<!here>` there as it is). */
const tokensIn = (call: SlackCall | undefined) =>
  [...JSON.stringify(blocksOf(call).filter((b) => b.type !== 'header')).matchAll(/<[^>]*>/g)].map(
    (m) => m[0],
  );

beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: [TOKEN] });
  dir = await mkdtemp(join(tmpdir(), 'heckler-large-review-'));
  storage = await createStorage({ dataDir: dir, keyPrefix: 'large-review' });
});
beforeEach(() => {
  fake.calls.length = 0;
  fake.uploads.length = 0;
});
afterAll(async () => {
  await storage?.close();
  await fake?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a 2,000-node review with hostile diffs', () => {
  const record = hostileRecord();
  const groups = [...record.grouped.groups].sort((a, b) => b.nodes.length - a.nodes.length);

  /** The first post's calls, for the tests that read them. */
  let main: SlackCall | undefined;

  it('posts one message within the limits and shares one plain-text file in its thread with everything', async () => {
    const ref = await replica().post('C0REVIEWS', reviewMessage(record));
    const more = posts().slice(1);
    main = posts()[0];
    expect(more).toEqual([]);
    expect(main?.answer?.ok).toBe(true);
    expect(blocksOf(main).length).toBeLessThanOrEqual(50);
    expect(blocksText(main?.args.blocks)).toBeLessThanOrEqual(MESSAGE_TEXT_LIMIT);

    expect(shares()).toHaveLength(1);
    expect(shares()[0]?.args).toMatchObject({ channel_id: ref.channel, thread_ts: ref.ts });
    expect(fake.uploads).toHaveLength(1);
    const content = fake.uploads[0]?.content ?? '';
    for (const group of groups) {
      const name = `${group.resource.type}[${group.resource.title}] on ${group.nodes.length} node`;
      expect(content).toContain(name);
      expect(content).toContain(`hosts: ${compressHosts(group.nodes).join(', ')}`);
    }
    // Whole, as plain text: the 100,000-character line, the hostile text as typed, binary made visible.
    expect(content).toContain(HUGE_LINE);
    expect(content).toContain(hostile[0]);
    expect(content).toContain('\\x00\\x01\\x02PK\\x03\\x04\u00ff\\x1b[31m\\ud800');
    expect(content).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(content).toContain('+line 39 of change 399');
    expect(content).toContain('E'.repeat(20_000));
    // What the message shortens in its head is whole in the file too: the subject and the writers.
    expect(content).toContain(record.subject);
    expect(content).toContain(`by @U0ALICE, ${record.unmappedAuthors[0]} (not mapped)`);
  });

  it('lets no mention, channel link or broadcast through from the hostile text', () => {
    const tokens = new Set(tokensIn(main));
    // Only the mentions the view made (the author, the owner) remain Slack tokens.
    expect([...tokens].sort()).toEqual(['<@U0ALICE>', '<@U0BOB>']);
    expect(JSON.stringify(main?.args.text)).not.toMatch(/<!(channel|here|subteam)/);
    expect(blocksOf(main)[0]?.text?.type).toBe('plain_text');
  });

  it('says how many changes it shows, shows the largest host sets, and cuts nothing silently', () => {
    const text = JSON.stringify(main?.args.blocks);
    const shown = Number(/Showing (\d+) of 400 changes, largest host sets first/.exec(text)?.[1]);
    expect(shown).toBeGreaterThan(0);
    expect(text).toContain(
      '*Full diff*: every change with every host and its whole diff is in the file attached in this thread.',
    );
    const contexts = blocksOf(main)
      .filter((b) => b.type === 'context')
      .map((b) => b.elements?.map((e) => e.text).join(' ') ?? '')
      .filter((t) => t.startsWith('on '));
    expect(contexts).toHaveLength(shown);
    contexts.forEach((context, i) => {
      const hosts = compressHosts(groups[i]?.nodes ?? []).join(', ');
      // Each shown change is the next largest; a host list too long is cut with a visible ellipsis.
      expect(
        context.startsWith(`on ${hosts}`) ||
          (context.includes('…') && hosts.startsWith(context.slice(3, 40))),
      ).toBe(true);
    });
    expect(text).toContain('more lines in the Full diff file');
  });

  it('attaches nothing new when a decision re-renders it, and a new file when a re-noop changes it', async () => {
    const chat = replica();
    const ref = await chat.post('C0REVIEWS', reviewMessage(record));
    expect(shares()).toHaveLength(1);
    const denied: ReviewRecord = {
      ...record,
      decisions: [
        {
          verdict: 'deny',
          user: 'U0BOB',
          at: 1,
          commit: record.sha,
          deltaHash: record.deltaHash,
          reason: 'no',
          via: 'button',
        },
      ],
    };
    await chat.update(ref, reviewMessage(denied));
    await chat.update(ref, reviewMessage(record));
    expect(fake.callsTo('chat.update').filter((u) => u.args.ts === ref.ts)).toHaveLength(2);
    expect(shares()).toHaveLength(1);

    const renooped = hostileRecord(CHANGES.slice(0, 399));
    await chat.update(ref, reviewMessage(renooped));
    expect(shares()).toHaveLength(2);
    expect(fake.uploads[1]?.content).not.toContain('change 399');
    expect(posts()).toHaveLength(1);
  });

  it('after a restart (or on another replica) re-renders without attaching the same file again', async () => {
    const ref = await replica().post('C0REVIEWS', reviewMessage(record));
    const restarted = replica();
    await restarted.update(ref, reviewMessage(record));
    expect(shares()).toHaveLength(1);
    // A replica without the shared claims cannot know: it attaches once (the memory-only fallback).
    const alone = new SlackChat(client());
    await alone.update(ref, reviewMessage(record));
    await alone.update(ref, reviewMessage(record));
    expect(shares()).toHaveLength(2);
  });

  it('says so in the thread when the file cannot be attached, and attaches it at the next update', async () => {
    const chat = replica();
    fake.failNext('files.completeUploadExternal', 'file_uploads_disabled');
    const ref = await chat.post('C0REVIEWS', reviewMessage(record));
    const note = posts().find((p) => p.args.thread_ts === ref.ts);
    expect(JSON.stringify(note?.args.blocks)).toContain('could not be attached (file_uploads_disabled)');
    await chat.update(ref, reviewMessage(record));
    expect(shares()).toHaveLength(2);
    expect(shares()[1]?.answer?.ok).toBe(true);
  });
});

describe('the terminal', () => {
  it('prints the file below the review, and again only when it changed', async () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        out += String(chunk);
        done();
      },
    });
    const shell = new ShellChat(sink, {});
    const record = hostileRecord(CHANGES.slice(0, 60));
    const ref = await shell.post('reviews', reviewMessage(record));
    const header = `file review-ccccccc-${record.deltaHash.slice(0, 8)}.txt`;
    expect(out.split(header)).toHaveLength(2);
    expect(out).toContain('+line 39 of change 59');
    expect(out).not.toContain('\u001b[31m');
    await shell.update(ref, reviewMessage({ ...record, notes: ['re-rendered'] }));
    expect(out.split(header)).toHaveLength(2);
  });
});
