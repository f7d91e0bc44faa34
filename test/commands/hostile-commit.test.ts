import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBlockKit } from '../../src/bot/render/blocks.js';
import { reviewStatus } from '../../src/engine/review/records.js';
import { FakeGitHubApi } from '../fakes/github-api.js';
import { forgedProcessor } from '../support/plugin-repo.js';
import { type ReviewWorld, startReviewWorld } from '../support/review-world.js';

/**
 * Review integrity end to end, as a hostile committer would try it on the SSH fleet with real
 * Puppet: (a) a report processor shadowing the bot's, (b) CODEOWNERS rewritten to own everything,
 * (c) a forged author whose committer approves, (d) a click on an outdated message, (e) a review
 * in which every node failed, (f) `<!channel>` and a disguised link in the subject. None gets a
 * change applied or a live mention posted, and every refusal says why.
 */
let world: ReviewWorld;
let github: FakeGitHubApi;
const GITHUB_REPO = 'acme/puppet';
const mallory = { name: 'Mallory', email: 'mallory@example.com' };
const carolForged = { name: 'Carol Cooper', email: 'carol@example.com' };
const aliceForged = { name: 'Alice Archer', email: 'alice@example.com' };
const bob = { name: 'Bob Baker', email: 'bob@example.com' };
const shas: Record<string, string> = {};

/** One more file on every node, declared at the top of site.pp (owned by @carol at every parent). */
const siteLine = (name: string) =>
  `${readFileSync(join(world.repo.path, 'manifests/site.pp'), 'utf8')}file { '/data/${name}': ensure => file, content => "${name}\\n" }\n`;

const readOnly = (node: string, on: boolean) =>
  world.fleet.ssh(world.fleet.node(node), `mount -o remount,bind,${on ? 'ro' : 'rw'} /data`);

const buttons = (sha: string) =>
  world
    .messageOf(sha)
    .message.blocks.flatMap((b) =>
      b.kind === 'actions' ? b.buttons.map((x) => `${x.label}: ${x.command}`) : [],
    );

beforeAll(async () => {
  github = await FakeGitHubApi.start({ token: 'ghp_test' });
  world = await startReviewWorld({
    file: {
      repo: { github: { repo: GITHUB_REPO, apiUrl: github.url } },
      approvals: { requireVerified: true },
    },
    extra: { secrets: { githubToken: 'ghp_test' } },
  });
}, 180_000);

afterAll(async () => {
  for (const node of ['node1', 'node2', 'node3']) await readOnly(node, false).catch(() => undefined);
  await world?.close();
  await github?.stop();
});

describe('a hostile committer', { timeout: 240_000 }, () => {
  it('(a) cannot write its own review with a shadowing report processor', async () => {
    shas.a = world.commit(
      'site: tidy up',
      {
        'manifests/site.pp': siteLine('hostile-a'),
        'modules/motd/lib/puppet/reports/heckler.rb': forgedProcessor('heckler'),
      },
      { author: mallory },
    );
    github.addCommit(GITHUB_REPO, shas.a, { authorLogin: 'mallory', verified: true });
    await world.dispatch('U0NOBODY', `noop ${shas.a}`);
    const { text } = world.messageOf(shas.a);
    // The bot's processor ran: the real change is on show, not the forged "nothing changed".
    expect(text).toContain('3 nodes would change');
    expect(text).toContain('`File[/data/hostile-a]`');
    expect(text).toContain(
      '*runs code on the nodes during noop*: `modules/motd/lib/puppet/reports/heckler.rb`',
    );
    expect(text).not.toContain('Auto-approved');
    const record = await world.composed.reviews.get(shas.a);
    expect(record && reviewStatus(record)).toBe('pending');
  });

  it('(b) cannot make itself an owner by rewriting CODEOWNERS under a forged author', async () => {
    shas.b = world.commit(
      'CODEOWNERS: tidy',
      { CODEOWNERS: '* @mallory\n', 'manifests/site.pp': siteLine('hostile-b') },
      { author: carolForged, committer: carolForged },
    );
    github.addCommit(GITHUB_REPO, shas.b, { authorLogin: 'carol', verified: true });
    await world.dispatch('U0NOBODY', `noop ${shas.b}`);
    const { text } = world.messageOf(shas.b);
    expect(text).toContain('This commit changes CODEOWNERS: its approval also needs nobody');
    expect(text).toContain(
      'Waiting for approval from an admin (<@U0ADMIN>): no single owner covers every part of it',
    );
    const answer = await world.dispatch('U0MALLORY', `approve ${shas.b}`);
    expect(answer).toContain(`you do not own what ${shas.b.slice(0, 7)} changes`);
    expect(answer).toContain('who can approve it: <@U0ADMIN>');
  });

  it('(c) a forged author does not let the committer approve, nor an unverified signature pass', async () => {
    shas.c = world.commit(
      'webapp: a little faster',
      { 'manifests/site.pp': siteLine('hostile-c') },
      { author: aliceForged, committer: bob },
    );
    github.addCommit(GITHUB_REPO, shas.c, { authorLogin: 'alice', committerLogin: 'bob', verified: false });
    await world.dispatch('U0NOBODY', `noop ${shas.c}`);
    const { text } = world.messageOf(shas.c);
    expect(text).toContain(
      'by <@U0ALICE> · committed by <@U0BOB> · GitHub: @alice, @bob · signature not verified (unsigned)',
    );
    expect(await world.dispatch('U0BOB', `approve ${shas.c}`)).toContain(
      '(as its author, a co-author or its committer): someone else must approve it',
    );
    // An admin may approve anything, but GitHub does not vouch for the signature.
    expect(await world.dispatch('U0ADMIN', `approve ${shas.c}`)).toContain(
      'cannot be approved: GitHub does not verify its signature (unsigned)',
    );
    expect((await world.composed.reviews.get(shas.c))?.decisions).toEqual([]);
    expect(github.commitReads.some((read) => read.ref === shas.c)).toBe(true);
  });

  it('(d) a click on an outdated message is refused and records nothing', async () => {
    await readOnly('node3', true);
    shas.d = world.commit(
      'site: one more file',
      { 'manifests/site.pp': siteLine('hostile-d') },
      { author: mallory },
    );
    github.addCommit(GITHUB_REPO, shas.d, { authorLogin: 'mallory', verified: true });
    await world.dispatch('U0NOBODY', `noop ${shas.d}`);
    const drawn =
      buttons(shas.d)
        .find((b) => b.startsWith('Approve: '))
        ?.slice('Approve: '.length) ?? '';
    expect(world.messageOf(shas.d).text).toContain('An approval covers 2 of 3 nodes');
    await readOnly('node3', false);
    await world.dispatch('U0NOBODY', `noop ${shas.d}`);
    expect(world.messageOf(shas.d).text).toContain('3 nodes would change');
    const answer = await world.dispatch('U0CAROL', drawn, { source: world.messageOf(shas.d).ref });
    expect(answer).toMatch(
      /was re-nooped after the message you clicked was drawn: it showed delta [0-9a-f]{8}, the current one is [0-9a-f]{8}/,
    );
    expect((await world.composed.reviews.get(shas.d))?.decisions).toEqual([]);
  });

  it('(e) a review in which every node failed offers nothing to approve', async () => {
    for (const node of ['node1', 'node2', 'node3']) await readOnly(node, true);
    shas.e = world.commit(
      'site: and another',
      { 'manifests/site.pp': siteLine('hostile-e') },
      { author: mallory },
    );
    github.addCommit(GITHUB_REPO, shas.e, { authorLogin: 'mallory', verified: true });
    await world.dispatch('U0NOBODY', `noop ${shas.e}`);
    for (const node of ['node1', 'node2', 'node3']) await readOnly(node, false);
    expect(buttons(shas.e).map((b) => b.split(':')[0])).toEqual(['Deny']);
    expect(world.messageOf(shas.e).text).toContain('No node produced a noop');
    expect(await world.dispatch('U0ADMIN', `approve ${shas.e}`)).toContain(
      'there is nothing reviewed to approve',
    );
  });

  it('(f) cannot mention the channel or disguise a link from its subject', async () => {
    shas.f = world.commit(
      '<!channel> motd: see <https://evil.test|GitHub PR #12 (approved)> and ask <@U0ADMIN>',
      { 'manifests/site.pp': siteLine('hostile-f') },
      { author: mallory },
    );
    github.addCommit(GITHUB_REPO, shas.f, { authorLogin: 'mallory', verified: true });
    await world.dispatch('U0NOBODY', `noop ${shas.f}`);
    const rendered = toBlockKit(world.messageOf(shas.f).message);
    // Every text Slack parses (mrkdwn objects and the fallback text); plain_text headers it shows as is.
    const parsed: string[] = [rendered.text];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        const object = value as { type?: string; text?: unknown };
        if (object.type === 'mrkdwn' && typeof object.text === 'string') parsed.push(object.text);
        Object.values(object).forEach(walk);
      }
    };
    walk([rendered.blocks, rendered.overflow.map((part) => part.blocks)]);
    const payload = parsed.join('\n');
    expect(payload).not.toMatch(/<!channel>|<!here>|<https:\/\/evil/);
    expect(payload).toContain(
      '&lt;!channel&gt; motd: see &lt;https://evil.test|GitHub PR #12 (approved)&gt;',
    );
    // The only mentions are the bot's own: the admin as who may approve, never from the subject.
    const subject = rendered.text.slice(0, rendered.text.indexOf(': 3 nodes would change'));
    expect(subject).not.toContain('<@');
    expect(rendered.text).toContain('ask &lt;@U0ADMIN&gt;');
  });

  it('none of it reaches a node: an apply of the tip is blocked commit by commit, even forced', async () => {
    await world.dispatch('U0ADMIN', `apply ${shas.f?.slice(0, 7)} --force`);
    const plan = world.chat.events
      .filter((e) => e.kind === 'post' && e.message.text.startsWith('Apply plan #'))
      .at(-1);
    if (plan?.kind !== 'post') throw new Error('no plan posted');
    const text = JSON.stringify(plan.message.blocks);
    expect(plan.message.text).toContain('(blocked)');
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) expect(text).toContain(`\`${shas[key]?.slice(0, 7)}\``);
    expect(text).not.toContain('"label":"Confirm"');
    const id = /#(\d+)/.exec(plan.message.text)?.[1];
    expect(await world.dispatch('U0ADMIN', `confirm ${id}`)).toMatch(/is blocked/);
    for (const node of ['node1', 'node2', 'node3']) {
      const state = await world.fleet.ssh(node, 'cat /data/heckler/state/applied.json; ls /data');
      expect(state.stdout).toContain(world.repo.commits.motdChange);
      expect(state.stdout).not.toMatch(/hostile-/);
    }
  });
});
