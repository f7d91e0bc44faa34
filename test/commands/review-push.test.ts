import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReviewWorld, startReviewWorld } from '../support/review-world.js';

/**
 * Issue 10, item 6: a large push neither starts a fleet noop per commit at once nor posts a
 * message per commit. Reviews drain a few per poll, one summary message follows them, and an
 * admin approves a reviewed range at once, each commit audited.
 */
let world: ReviewWorld;
const pushed: string[] = [];
/** The 2nd and 5th commits change only a README: nothing on the fleet, approved automatically. */
const changesNothing = (i: number) => i % 3 === 2;

beforeAll(async () => {
  world = await startReviewWorld({ file: { approvals: { reviewsPerPoll: 2, summarizeOver: 3 } } });
  expect(await world.composed.reviews.pollNewCommits(0)).toEqual([]);
  const site = () => readFileSync(join(world.repo.path, 'manifests/site.pp'), 'utf8');
  // Five commits over three polls (each a noop of every node): as many as the rules below need.
  for (let i = 1; i <= 5; i++) {
    const files: Record<string, string> = changesNothing(i)
      ? { [`docs/note-${i}.md`]: `note ${i}\n` }
      : {
          'manifests/site.pp': `${site()}file { '/data/push-${i}': ensure => file, content => "${i}\\n" }\n`,
        };
    pushed.push(world.commit(`push: change ${i}`, files));
  }
}, 180_000);

afterAll(async () => {
  await world?.close();
});

const summaries = () =>
  world.chat.events.filter((e) => e.kind === 'post' && e.message.text.includes('new commits ('));
const summaryText = () => {
  const [post] = summaries();
  if (post?.kind !== 'post') throw new Error('no push summary');
  const updates = world.chat.events.filter((e) => e.kind === 'update' && e.ref.ts === post.ref.ts);
  const latest = updates.at(-1);
  return (latest?.kind === 'update' ? latest.message : post.message).blocks
    .map((b) => ('text' in b ? b.text : ''))
    .join('\n');
};
const commitPosts = () =>
  world.chat.events.filter(
    (e) => e.kind === 'post' && pushed.some((sha) => e.message.text.startsWith(sha.slice(0, 7))),
  );

describe('a push of five commits with two reviews per poll', { timeout: 300_000 }, () => {
  it('the first poll reviews two, quietly, and posts one summary', async () => {
    const reviewed = await world.composed.reviews.pollNewCommits(0);
    expect(reviewed.map((r) => r.sha)).toEqual(pushed.slice(0, 2));
    expect(await world.composed.reviews.get(pushed[2] as string)).toBeUndefined();
    expect(summaries()).toHaveLength(1);
    expect(commitPosts()).toEqual([]);
    expect(summaryText()).toContain('5 new commits');
    expect(summaryText()).toContain('Reviewed 2 of 5 so far');
    expect(summaryText()).toContain('1 approved automatically, 1 wait for approval');
  });

  it('a range approval before the whole range is reviewed is refused and approves nothing', async () => {
    await world.composed.reviews.pollNewCommits(0);
    expect(summaryText()).toContain('Reviewed 4 of 5 so far');
    const range = `${world.repo.commits.fixed.slice(0, 7)}..${(pushed[4] as string).slice(0, 7)}`;
    expect(await world.dispatch('U0ADMIN', `approve ${range}`)).toContain(
      `1 of the 5 commits in ${range} are not reviewed yet (${(pushed[4] as string).slice(0, 7)}): nothing was approved`,
    );
    // The log holds only the automatic approvals of the commits that change nothing.
    expect(await world.dispatch('U0NOBODY', 'audit')).not.toContain('<@U0ADMIN> approved');
  });

  it('the last poll finishes the push; the summary says so, still one message', async () => {
    await world.composed.reviews.pollNewCommits(0);
    expect(summaries()).toHaveLength(1);
    expect(summaryText()).toContain(
      'All 5 reviewed: 2 change nothing and are approved automatically, 3 wait for approval',
    );
    expect(commitPosts()).toEqual([]);
    expect(await world.composed.reviews.pollNewCommits(0)).toEqual([]);
  });

  it('an admin approves the range: each waiting commit is approved and audited; others may not', async () => {
    const range = `${world.repo.commits.fixed.slice(0, 7)}..${(pushed[4] as string).slice(0, 7)}`;
    expect(await world.dispatch('U0CAROL', `approve ${range}`)).toContain(
      'approving a range of commits needs the admin role',
    );
    expect(await world.dispatch('U0ADMIN', `approve ${range}`)).toBe(
      `approved 3 of the 5 commits in ${range} (2 were approved already)`,
    );
    const audit = await world.dispatch('U0NOBODY', 'audit');
    for (const [i, sha] of pushed.entries())
      if (!changesNothing(i + 1)) expect(audit).toContain(`<@U0ADMIN> approved \`${sha.slice(0, 7)}\``);
    expect(await world.dispatch('U0NOBODY', 'pending')).toBe('Nothing is waiting for approval.');
    // Deciding posts the commit's own message: each is there for whoever looks later.
    expect(commitPosts()).toHaveLength(3);
  });
});
