import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupsNeedingApproval } from '../../src/engine/delta/group.js';
import { reviewStatus } from '../../src/engine/review/records.js';
import { type ReviewWorld, startReviewWorld } from '../support/review-world.js';

/**
 * Ignores from chat on the real fleet: a commit that adds one file on every node waits for
 * approval; `ignore File[...]` makes the next noop show it collapsed under "Ignored" and approve
 * the commit automatically; `unignore` brings it back; a node-scoped ignore splits the group.
 */
let world: ReviewWorld;
let sha: string;

beforeAll(async () => {
  world = await startReviewWorld();
  const site = readFileSync(join(world.repo.path, 'manifests/site.pp'), 'utf8');
  // Top scope: every node gets it, whichever node block matches.
  sha = world.commit('site: a scratch file', {
    'manifests/site.pp': `file { '/data/scratch':\n  ensure  => file,\n  content => "scratch\\n",\n}\n\n${site}`,
  });
}, 180_000);

afterAll(async () => {
  await world?.close();
});

const review = async () => {
  await world.dispatch('U0NOBODY', `noop ${sha}`);
  const record = await world.composed.reviews.get(sha);
  if (!record) throw new Error(`no review of ${sha}`);
  return record;
};
const idOf = (text: string) => /\(id `([0-9a-f]{6})`\)/.exec(text)?.[1] ?? '';
const lastPost = () => {
  const post = world.chat.events.filter((e) => e.kind === 'post' && e.channel === 'C1').at(-1);
  return post?.kind === 'post' ? post.message.text : '';
};

describe('an ignore made from chat', { timeout: 240_000 }, () => {
  let id = '';

  it('the commit waits for approval of the new file', async () => {
    const record = await review();
    expect(
      groupsNeedingApproval(record.grouped).map((g) => [`${g.resource.type}[${g.resource.title}]`, g.nodes]),
    ).toEqual([['File[/data/scratch]', ['node1', 'node2', 'node3']]]);
    expect(reviewStatus(record)).toBe('pending');
  });

  it('collapses it under Ignored on the re-noop, and the commit is approved automatically', async () => {
    expect(await world.dispatch('U0NOBODY', 'ignore File[/data/scratch] scratch space')).toMatch(
      /`ignore` needs the approver role/,
    );
    expect(
      await world.dispatch('U0ADMIN', 'ignore File[/data/scratch] scratch space, <rewritten> by cron'),
    ).toBe('');
    id = idOf(lastPost());
    expect(id).toMatch(/^[0-9a-f]{6}$/);
    const record = await review();
    expect(groupsNeedingApproval(record.grouped)).toEqual([]);
    expect(reviewStatus(record)).toBe('auto_approved');
    const { text } = world.messageOf(sha);
    expect(text).toContain('Ignored, no approval needed (1):');
    expect(text).toContain('`File[/data/scratch]` on ');
    expect(text).toContain('scratch space, &lt;rewritten&gt; by cron');
    const audit = await world.dispatch('U0NOBODY', 'audit');
    expect(audit).toContain(`<@U0ADMIN> ignored \`File[/data/scratch]\` (ignore \`${id}\``);
    expect(audit).toContain(`Heckler auto-approved \`${sha.slice(0, 7)}\``);
  });

  it('unignore brings it back: the commit waits for approval again', async () => {
    expect(await world.dispatch('U0ADMIN', `unignore ${id}`)).toBe('');
    const record = await review();
    expect(groupsNeedingApproval(record.grouped).map((g) => g.nodes)).toEqual([['node1', 'node2', 'node3']]);
    expect(reviewStatus(record)).toBe('pending');
    expect(world.messageOf(sha).text).not.toContain('Ignored, no approval needed');
    expect(record.notes.at(-1)).toContain('re-nooped after the ignores changed: the delta is different');
    expect(await world.dispatch('U0NOBODY', 'audit')).toContain(
      `<@U0ADMIN> removed the ignore of \`File[/data/scratch]\` (ignore \`${id}\``,
    );
  });

  it('an ignore on one node leaves the other nodes needing approval', async () => {
    expect(
      await world.dispatch('U0ADMIN', 'ignore File[/data/scratch] node1 rewrites it --nodes node1'),
    ).toBe('');
    const record = await review();
    expect(record.grouped.groups.map((g) => [g.nodes, g.ignored?.id ?? null])).toEqual([
      [['node2', 'node3'], null],
      [['node1'], idOf(lastPost())],
    ]);
    expect(reviewStatus(record)).toBe('pending');
  });
});
