import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../adapters/docker/harness.js';
import { FakeGitHubApi, type StatusCall } from '../fakes/github-api.js';
import { deliver } from '../support/github-webhook.js';
import { type ReviewWorld, startReviewWorld } from '../support/review-world.js';

/**
 * The Puppet repository's pushes through GitHub's webhook, end to end (issue 11, items 8 and 9):
 * three SSH nodes with real Puppet, the bot as composeApp builds it, octokit against the fake
 * GitHub. A signed push reviews the new commit at once; each review's `heckler/review` status
 * follows it (waiting for its owner, approved, denied, noop failed), linked to its message.
 */
const SECRET = 'whsec-puppet-push';
const TOKEN = 'ghp_fake0token0for0review0status';

let world: ReviewWorld;
let github: FakeGitHubApi;
let server: Server;
let hook: string;
/** The commit of the first test, approved by the second. */
let first = '';

const push = (sha: string, ref = 'refs/heads/main', repo = 'acme/puppet') => ({
  ref,
  before: '0'.repeat(40),
  after: sha,
  deleted: false,
  repository: { full_name: repo },
  pusher: { name: 'alice' },
});

/** Adds a file resource every node gets: the commit changes the fleet and needs @carol (manifests/). */
const change = (name: string) =>
  world.commit(`add ${name}`, {
    'manifests/site.pp': `${readFileSync(join(world.repo.path, 'manifests/site.pp'), 'utf8')}\nfile { '/data/${name}':\n  ensure  => file,\n  content => "${name}\\n",\n}\n`,
  });

const reviewStatuses = (sha: string): StatusCall[] =>
  github.accepted().filter((s) => s.sha === sha && s.body.context === 'heckler/review');

const settled = async () => {
  await world.app.webhook?.settled();
  await world.composed.reviewStatuses?.settled();
};

const reviewed = (sha: string) =>
  world.chat.events.some((e) => e.kind === 'post' && e.message.text.startsWith(sha.slice(0, 7)));

const readOnly = (node: string, on: boolean) =>
  world.fleet.ssh(world.fleet.node(node), `mount -o remount,bind,${on ? 'ro' : 'rw'} /data`);

beforeAll(async () => {
  github = await FakeGitHubApi.start({ token: TOKEN });
  world = await startReviewWorld({
    file: { repo: { github: { repo: 'acme/puppet', apiUrl: github.url } } },
    extra: { secrets: { githubToken: TOKEN, githubWebhookSecret: SECRET } },
  });
  const route = world.app.webhook;
  if (!route) throw new Error('no webhook although GITHUB_WEBHOOK_SECRET is set');
  server = createServer((req, res) => {
    if (!route.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/github/webhook`;
  // The bot's first poll remembers where the branch is; what is pushed after it is reviewed.
  await world.composed.reviews.pollNewCommits(0);
}, 180_000);

afterAll(async () => {
  for (const node of ['node1', 'node2', 'node3']) await readOnly(node, false).catch(() => undefined);
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await world?.close();
  await github?.stop();
});

describe('a push to the Puppet repository', { timeout: 180_000 }, () => {
  it('is reviewed as soon as GitHub delivers it, and its commit says who it waits for, linked to the message', async () => {
    const sha = change('webhook-one');
    first = sha;
    expect(reviewed(sha)).toBe(false);
    const answer = await deliver(hook, 'push', push(sha), { secret: SECRET });
    expect(answer.status).toBe(202);
    await settled();
    expect(reviewed(sha)).toBe(true);
    const { ref } = world.messageOf(sha);
    const link = await world.chat.permalink(ref);
    expect(reviewStatuses(sha).map((s) => s.body)).toEqual([
      { context: 'heckler/review', state: 'pending', description: 'waiting for @carol', target_url: link },
    ]);
  });

  it('turns success when approved, naming who approved', async () => {
    const sha = first;
    await world.dispatch('U0CAROL', `approve ${sha}`);
    await settled();
    expect(reviewStatuses(sha).at(-1)?.body).toMatchObject({
      state: 'success',
      description: 'approved by @carol',
    });
  });

  it('turns failure when denied, with the reason', async () => {
    const sha = change('webhook-two');
    await deliver(hook, 'push', push(sha), { secret: SECRET });
    await settled();
    await world.dispatch('U0CAROL', `deny ${sha} breaks the   night batch`);
    await settled();
    const statuses = reviewStatuses(sha).map((s) => `${s.body.state} ${s.body.description}`);
    expect(statuses).toEqual([
      'pending waiting for @carol',
      'failure denied by @carol: breaks the night batch',
    ]);
  });

  it('is an error while the noop failed on nodes', async () => {
    const sha = change('webhook-three');
    for (const node of ['node1', 'node2', 'node3']) await readOnly(node, true);
    try {
      await deliver(hook, 'push', push(sha), { secret: SECRET });
      await settled();
    } finally {
      for (const node of ['node1', 'node2', 'node3']) await readOnly(node, false);
    }
    expect(reviewStatuses(sha).at(-1)?.body).toMatchObject({
      state: 'error',
      description: 'noop failed on 3 nodes: see the review in chat',
    });
  });

  it('reviews nothing for a push to another branch or another repository, or one unsigned', async () => {
    const sha = change('webhook-four');
    const before = github.accepted().length;
    expect((await deliver(hook, 'push', push(sha, 'refs/heads/feature/y'), { secret: SECRET })).status).toBe(
      202,
    );
    expect(
      (await deliver(hook, 'push', push(sha, 'refs/heads/main', 'acme/other'), { secret: SECRET })).status,
    ).toBe(202);
    expect((await deliver(hook, 'push', push(sha))).status).toBe(401);
    await settled();
    expect(reviewed(sha)).toBe(false);
    expect(github.accepted().length).toBe(before);
    // The schedule, still there as the fallback, finds it.
    await world.composed.reviews.pollNewCommits(0);
    await settled();
    expect(reviewed(sha)).toBe(true);
    await eventually(async () => (reviewStatuses(sha).length > 0 ? true : undefined));
  });

  it('coalesces a webhook and the scheduled poll arriving together into one review per commit', async () => {
    const sha = change('webhook-five');
    await Promise.all([
      deliver(hook, 'push', push(sha), { secret: SECRET }),
      world.composed.reviews.pollNewCommits(0),
      world.composed.reviews.pollNewCommits(0),
    ]);
    await settled();
    const posts = world.chat.events.filter(
      (e) => e.kind === 'post' && e.message.text.startsWith(sha.slice(0, 7)),
    );
    expect(posts).toHaveLength(1);
  });
});
