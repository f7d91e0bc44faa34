import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageRef } from '../../src/engine/ports/index.js';
import { type ReviewWorld, startReviewWorld } from '../support/review-world.js';

/**
 * Delta noops and approvals end to end: real nodes with v1 applied, real Puppet, the fixture
 * repository's CODEOWNERS, and clicks from owners, authors and strangers.
 */
let world: ReviewWorld;
let fleet: ReviewWorld['fleet'];
let repo: ReviewWorld['repo'];
let composed: ReviewWorld['composed'];
let chat: ReviewWorld['chat'];
const dispatch = (user: string, line: string, source?: MessageRef) =>
  world.dispatch(user, line, source ? { source } : {});
const messageOf = (sha: string) => world.messageOf(sha);

beforeAll(async () => {
  world = await startReviewWorld();
  ({ fleet, repo, composed, chat } = world);
}, 180_000);

afterAll(async () => {
  await world?.close();
});

describe('a commit that changes one file on one node', { timeout: 120_000 }, () => {
  it('is posted once with its group, hosts, owners and Approve / Deny', async () => {
    const sha = repo.commits.coauthored;
    expect(await dispatch('U0NOBODY', `noop ${sha.slice(0, 8)}`)).toMatch(
      /1 node would change · 2 unchanged · 0 failed · 0 unreachable/,
    );
    const { text } = messageOf(sha);
    expect(text).toMatch(new RegExp(`^${sha.slice(0, 7)} `));
    expect(text).toContain('by <@U0ERIN>, <@U0DAVE>');
    expect(text).toContain(':hourglass: Waiting for approval from <@U0CAROL>, or an admin (<@U0ADMIN>)');
    const pin = (await composed.reviews.get(sha))?.deltaHash.slice(0, 12);
    expect(text).toContain(`[Approve: approve ${sha}@${pin}] [Deny: deny ${sha}@${pin}]`);
    expect(text).toMatch(/on node2 · owners <@U0CAROL>\n`File\[\/data\/canary\]`/);
    expect(text).not.toContain('/data/motd');
    // Asking again with the fleet unchanged reuses the review: still one message.
    await dispatch('U0NOBODY', `noop ${sha.slice(0, 8)}`);
    expect(
      chat.events.filter((e) => e.kind === 'post' && e.message.text.startsWith(sha.slice(0, 7))),
    ).toHaveLength(1);
  });

  it.each([
    [
      'U0ERIN',
      /you wrote .* \(as its author, a co-author or its committer\): someone else must approve it\nwho can approve it: <@U0CAROL>, <@U0ADMIN>/,
    ],
    ['U0DAVE', /you wrote .* \(as its author, a co-author or its committer\)/],
    ['U0NOBODY', /you do not own what .* changes\nwho can approve it: <@U0CAROL>, <@U0ADMIN>/],
  ])('a click by %s is refused privately, saying who can approve', async (user, expected) => {
    const sha = repo.commits.coauthored;
    const before = messageOf(sha).updates;
    expect(await dispatch(user, `approve ${sha}`, messageOf(sha).ref)).toMatch(expected);
    expect(messageOf(sha).updates).toBe(before);
  });

  it("an owner's click approves; the buttons give way to who approved and when", async () => {
    const sha = repo.commits.coauthored;
    const delta = (await composed.reviews.get(sha))?.deltaHash.slice(0, 8);
    expect(await dispatch('U0CAROL', `approve ${sha}`, messageOf(sha).ref)).toBe(
      `approved ${sha.slice(0, 7)} (delta ${delta})`,
    );
    const { text } = messageOf(sha);
    expect(text).toMatch(/:white_check_mark: Approved by <@U0CAROL> at \d\d:\d\d/);
    expect(text).not.toContain('[Approve');
    // A double click is idempotent; anyone else is told who decided first.
    expect(await dispatch('U0CAROL', `approve ${sha}`, messageOf(sha).ref)).toBe(
      `you already approved ${sha.slice(0, 7)} (delta ${delta})`,
    );
    expect(await dispatch('U0ADMIN', `deny ${sha} too risky`)).toMatch(
      /was already approved by <@U0CAROL> at \d\d:\d\d/,
    );
    expect(await dispatch('U0NOBODY', `audit ${sha.slice(0, 7)}`)).toMatch(
      /<@U0CAROL> approved `[0-9a-f]{7}` \(button, delta [0-9a-f]{8}\)/,
    );
  });
});

describe('merges, authors who own their change, and broken commits', { timeout: 120_000 }, () => {
  it('a merge that adds nothing of its own is approved automatically', async () => {
    await dispatch('U0NOBODY', `noop ${repo.commits.merge}`);
    const { text } = messageOf(repo.commits.merge);
    expect(text).toContain('0 nodes would change · 3 unchanged');
    expect(text).toContain('Auto-approved: this commit changes nothing on the fleet');
    expect(text).not.toContain('[Approve');
  });

  it('the feature commit shows the config change and the refresh on every node; its author cannot approve, an admin can', async () => {
    const sha = repo.commits.feature;
    await dispatch('U0NOBODY', `noop ${sha}`);
    const { text } = messageOf(sha);
    expect(text).toContain('3 nodes would change');
    expect(text).toMatch(
      /on node\{1\.\.3\} · owners <@U0BOB>\n`Exec\[reload webapp\]`[^\n]*\n:arrows_counterclockwise: \*would trigger a refresh\*/,
    );
    expect(text).toContain('+workers = 4');
    expect(await dispatch('U0BOB', `approve ${sha}`)).toMatch(/you wrote/);
    expect(await dispatch('U0ADMIN', `approve ${sha}`)).toMatch(`approved ${sha.slice(0, 7)} (delta `);
  });

  it('a commit that breaks compilation is its own group, and the fix still shows its delta', async () => {
    await dispatch('U0NOBODY', `noop ${repo.commits.broken}`);
    const broken = messageOf(repo.commits.broken).text;
    expect(broken).toMatch(
      /:x: \*does not compile\* on node\{1\.\.3\}: Evaluation Error: Unknown function: 'motd_banner'\. \(modules\/motd\/manifests\/init\.pp:6\)/,
    );
    expect(broken).toContain('[Approve');
    await dispatch('U0NOBODY', `noop ${repo.commits.fixed}`);
    const fixed = messageOf(repo.commits.fixed).text;
    expect(fixed).toMatch(/parent [0-9a-f]{7} does not compile on node\{1\.\.3\}/);
    expect(fixed).toContain('`File[/data/motd]`');
  });

  it('deny needs a reason, and blocks until a typed approval', async () => {
    const sha = repo.commits.broken;
    expect(await dispatch('U0ALICE', `deny ${sha}`, messageOf(sha).ref)).toMatch(
      /type `\/heckler deny [0-9a-f]{7} REASON`/,
    );
    expect(await dispatch('U0ADMIN', `deny ${sha} breaks the catalog`)).toMatch(
      `denied ${sha.slice(0, 7)} (delta `,
    );
    expect(messageOf(sha).text).toMatch(/:no_entry: Denied by <@U0ADMIN> at \d\d:\d\d: breaks the catalog/);
    const waiting = await dispatch('U0NOBODY', 'pending');
    expect(waiting).toContain(repo.commits.fixed.slice(0, 7));
    expect(waiting).not.toContain(sha.slice(0, 7));
    expect(waiting).not.toContain(repo.commits.coauthored.slice(0, 7));
  });
});

describe('staleness', { timeout: 120_000 }, () => {
  it('a change of the fleet state outside the bot re-noops reviews; an identical delta keeps its approval', async () => {
    const feature = repo.commits.feature;
    // Someone marks node1 dirty by hand (a failed manual apply): its files do not change.
    const path = '/data/heckler/state/applied.json';
    const marked = await fleet.ssh(
      fleet.node('node1'),
      `sed -i 's/"dirty":false/"dirty":true/' ${path} && cat ${path}`,
    );
    expect(marked.stdout).toContain('"dirty":true');
    const refreshed = await composed.reviews.refreshStale();
    expect(refreshed.map((r) => r.sha)).toContain(feature);
    expect(messageOf(feature).text).toMatch(
      /re-nooped after the fleet changed: same delta, the decision stands/,
    );
    expect(messageOf(feature).text).toMatch(/Approved by <@U0ADMIN>/);
  });

  it('an apply that only shrinks a delta (the commit reached a node) keeps the approval', async () => {
    const coauthored = repo.commits.coauthored;
    const [node2] = await composed.service.select({ nodes: ['node2'] });
    if (!node2) throw new Error('no node2');
    await composed.service.runSha(coauthored, [node2], 'apply', 'U0ADMIN');
    await composed.reviews.refreshStale();
    // node2 now has /data/canary: nothing is left to change, and nothing new appeared.
    const after = messageOf(coauthored).text;
    expect(after).toMatch(
      /the delta shrank to part of what was approved; the approval by <@U0CAROL> still covers it/,
    );
    expect(after).toMatch(/Approved by <@U0CAROL>/);
    expect(after).toContain('0 nodes would change');
    expect(messageOf(feature()).text).toMatch(/the approval by <@U0ADMIN> still covers it/);
  });

  it('an outside change that makes a commit do something new voids its approval, and the message says so', async () => {
    const fixed = repo.commits.fixed;
    expect(await dispatch('U0ADMIN', `approve ${fixed}`)).toMatch(`approved ${fixed.slice(0, 7)} (delta `);
    // Someone applied `owners` to node1 by hand and edited its motd: the node says so itself.
    const state = JSON.stringify({
      revision: repo.commits.owners,
      appliedAt: Date.now(),
      outcome: 'ok',
      dirty: false,
      by: 'root',
    });
    await fleet.ssh(
      fleet.node('node1'),
      `printf '%s\\n' '${state}' > /data/heckler/state/applied.json && printf 'edited by hand\\n' > /data/motd`,
    );
    await composed.reviews.refreshStale();
    const after = messageOf(fixed).text;
    expect(after).toMatch(/the delta is different; the approval by <@U0ADMIN> no longer applies/);
    expect(after).toContain('[Approve');
    expect(after).toContain('-edited by hand');
    expect(await dispatch('U0NOBODY', `audit ${fixed.slice(0, 7)}`)).toMatch(
      /<@U0ADMIN> approval void after re-noop of/,
    );
  });
});

const feature = () => repo.commits.feature;

describe('new commits on the branch', { timeout: 120_000 }, () => {
  const pushSiteLine = async (file: string, author: string) => {
    const site = readFileSync(join(repo.path, 'manifests/site.pp'), 'utf8');
    const line = `file { '${file}': ensure => file, content => "${file}\\n" }\n`;
    return world.commit(
      `site: add ${file}`,
      { 'manifests/site.pp': site + line },
      { author: { name: author, email: `${author}@example.com` } },
    );
  };

  it('the first poll only remembers the branch; later pushes get one message per commit, oldest first', async () => {
    expect(await composed.reviews.pollNewCommits(0)).toEqual([]);
    const x = await pushSiteLine('/data/poll-x', 'alice');
    const y = await pushSiteLine('/data/poll-y', 'bob');
    const posted = chat.events.length;
    const reviewed = await composed.reviews.pollNewCommits(0);
    expect(reviewed.map((r) => r.sha)).toEqual([x, y]);
    const newPosts = chat.events.slice(posted).filter((e) => e.kind === 'post');
    expect(newPosts.map((e) => (e.kind === 'post' ? e.message.text.slice(0, 7) : ''))).toEqual([
      x.slice(0, 7),
      y.slice(0, 7),
    ]);
    // Each shows only its own change, on every node, owned by the node definitions' owner.
    expect(messageOf(x).text).toMatch(/on node\{1\.\.3\} · owners <@U0CAROL>\n`File\[\/data\/poll-x\]`/);
    expect(messageOf(y).text).toMatch(/`File\[\/data\/poll-y\]`/);
    expect(messageOf(y).text).not.toContain('/data/poll-x');
    expect(await composed.reviews.pollNewCommits(0)).toEqual([]);
  });
});
