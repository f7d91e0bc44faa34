import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../adapters/docker/harness.js';
import { FakeGitHubApi } from '../fakes/github-api.js';
import { TEST_IMAGE, type TestDocker, useDocker } from '../support/docker.js';
import { type ReviewWorld, startReviewWorld, textOf } from '../support/review-world.js';

/**
 * Issue 12 end to end: the Puppet repository's own builds gate its reviews and applies. Three SSH
 * nodes with real Puppet, a private Docker engine running the commits' ocelot.yml, octokit against
 * a fake GitHub. One commit's lint stage fails and the next one's passes: both reviews show their
 * build, an apply of the failing one is blocked naming the build until an admin forces it
 * (audited), and the passing one applies.
 */
const TOKEN = 'ghp_fake0token0for0the0build0gate';

/** lint fails while the commit carries a LINT_FAILS file (puppet-lint's words, as a build would print them). */
const pipeline = `image: ${TEST_IMAGE}
stages:
  - name: lint
    script:
      - echo "linting manifests"
      - test ! -f LINT_FAILS || { cat LINT_FAILS; exit 1; }
  - name: validate
    script:
      - ls manifests/site.pp
`;

let world: ReviewWorld;
let docker: TestDocker;
let github: FakeGitHubApi;
let failing: string;
let passing: string;

const planText = (id: number) => {
  const plan = world.chat.events.find(
    (e) => e.kind === 'post' && e.message.text.startsWith(`Apply plan #${id}:`),
  );
  if (plan?.kind !== 'post') throw new Error(`no plan #${id}`);
  const updates = world.chat.events.filter((e) => e.kind === 'update' && e.ref.ts === plan.ref.ts);
  const latest = updates.at(-1);
  return { ref: plan.ref, text: textOf(latest?.kind === 'update' ? latest.message : plan.message) };
};

const lastPlanId = () =>
  Number(
    world.chat.events
      .flatMap((e) => (e.kind === 'post' ? [/^Apply plan #(\d+):/.exec(e.message.text)?.[1]] : []))
      .filter(Boolean)
      .at(-1),
  );

/** The review message once it says `words` (the gate updates it in the background as the build moves). */
const reviewSays = (sha: string, words: RegExp) =>
  eventually(async () => {
    const { text } = world.messageOf(sha);
    return words.test(text) ? text : undefined;
  }, 60_000);

/** A top-level file resource: every node gets it, so each commit changes the fleet and needs approval. */
const withMarker = (name: string) =>
  `${readFileSync(join(world.repo.path, 'manifests/site.pp'), 'utf8')}\nfile { '/data/${name}':\n  ensure  => file,\n  content => "${name}\\n",\n}\n`;

beforeAll(async () => {
  [docker, github] = await Promise.all([useDocker(), FakeGitHubApi.start({ token: TOKEN })]);
  world = await startReviewWorld({
    file: {
      repo: { build: true, github: { repo: 'acme/puppet', apiUrl: github.url } },
      apply: { requireBuild: true },
      builds: {
        docker: { hosts: [{ address: docker.address, capacity: 2 }] },
        channel: 'CBUILDS',
        github: { apiUrl: github.url },
      },
    },
    extra: { secrets: { githubToken: TOKEN } },
  });
  // The fleet at the branch's tip, so each apply below brings only the commit it names.
  const nodes = world.composed.service.nodes();
  const tip = world.repo.branches.main;
  const applied = await world.composed.service.runSha(tip, nodes, 'apply', 'U0ADMIN');
  if (applied.some((run) => !run.reached)) throw new Error('could not apply the tip to the test fleet');
  failing = world.commit('gate: a marker file (lint fails)', {
    'ocelot.yml': pipeline,
    LINT_FAILS: 'manifests/site.pp:12 WARNING: trailing whitespace found\n',
    'manifests/site.pp': withMarker('gate-a'),
  });
  passing = world.commit('gate: lint clean, a second marker', {
    LINT_FAILS: null,
    'manifests/site.pp': withMarker('gate-b'),
  });
}, 300_000);

afterAll(async () => {
  await world?.close();
  await Promise.all([docker?.stop(), github?.stop()]);
});

describe('repo.build with apply.requireBuild', { timeout: 240_000 }, () => {
  it('says so in the review of a commit with no ocelot.yml, and nothing is queued', async () => {
    const tip = world.repo.branches.main;
    await world.dispatch('U0NOBODY', `noop ${tip}`);
    const text = await reviewSays(tip, /no build: /);
    expect(text).toContain(`no build: puppet has no ocelot.yml at main (${tip.slice(0, 7)})`);
    expect(await world.app.builds?.service.list({ repo: 'puppet' })).toEqual([]);
  });

  it('builds the reviewed commit and shows the failed lint stage in its review, the log tail in the thread', async () => {
    await world.dispatch('U0NOBODY', `noop ${failing}`);
    const text = await reviewSays(failing, /failed at stage lint/);
    const id = Number(/build #(\d+) failed at stage lint/.exec(text)?.[1]);
    expect(text).toContain('3 nodes would change');
    expect(text).toContain(
      `build #${id} failed at stage lint (last log lines in the thread; \`/heckler logs ${id}\`)`,
    );
    const { ref } = world.messageOf(failing);
    const reply = await eventually(async () =>
      world.chat.events.find((e) => e.kind === 'reply' && e.thread.ts === ref.ts),
    );
    const replyText = reply.kind === 'reply' ? textOf(reply.message) : '';
    expect(replyText).toContain(`build #${id} failed at stage lint`);
    expect(replyText).toContain('WARNING: trailing whitespace found');
    // The build itself, as the builds half records it: the Puppet repository is watched as `puppet`.
    const build = await world.app.builds?.service.get(id);
    expect(build).toMatchObject({ repo: 'puppet', sha: failing, status: 'failed' });
    expect(replyText).toContain(`the whole log: \`/heckler logs ${id} --stage lint\``);
    await world.dispatch('U0NOBODY', `logs ${id} --stage lint`);
    const upload = world.chat.events.findLast((e) => e.kind === 'upload');
    expect(upload?.kind === 'upload' ? upload.file.content : '').toContain(
      'WARNING: trailing whitespace found',
    );
  });

  it('shows the passing build of the next commit', async () => {
    await world.dispatch('U0NOBODY', `noop ${passing}`);
    const text = await reviewSays(passing, /build #\d+ passed/);
    expect(text).toContain('3 nodes would change');
  });

  it('blocks an apply of the failing commit, naming its build, even once approved', async () => {
    expect(await world.dispatch('U0ADMIN', `approve ${failing}`)).toMatch(/^approved /);
    const review = await reviewSays(failing, /applies are blocked/);
    expect(review).toContain('*applies are blocked* until the build passes (apply.requireBuild)');
    await world.dispatch('U0ALICE', `apply ${failing.slice(0, 7)}`);
    const id = lastPlanId();
    const { text } = planText(id);
    expect(text).toContain('— blocked');
    expect(text).toMatch(
      new RegExp(
        `\`${failing.slice(0, 7)}\` .* — build #\\d+ failed at stage lint \\(\`/heckler logs \\d+\`\\)`,
      ),
    );
    expect(text).not.toContain('[Confirm');
    expect(await world.dispatch('U0ALICE', `confirm ${id}`)).toMatch(/is blocked/);
  });

  it('an admin’s --force applies it anyway; the plan says so and the audit log records why', async () => {
    expect(await world.dispatch('U0ALICE', `apply ${failing.slice(0, 7)} --force`)).toMatch(
      /needs the admin role/,
    );
    await world.dispatch('U0ADMIN', `apply ${failing.slice(0, 7)} --force`);
    const id = lastPlanId();
    const { text, ref } = planText(id);
    expect(text).not.toContain('— blocked');
    expect(text).toMatch(/--force\*: applied where no review covers it or past its build/);
    expect(await world.dispatch('U0ADMIN', `confirm ${id}`, { source: ref })).toMatch(/confirmed/);
    await world.composed.applies.idle();
    expect((await world.composed.applies.get(id))?.status).toBe('passed');
    const audit = await world.dispatch('U0NOBODY', `audit ${failing.slice(0, 7)}`);
    expect(audit).toMatch(
      new RegExp(
        `<@U0ADMIN> forced an apply past blockers of \`${failing.slice(0, 7)}\`: apply #${id} past its build: build #\\d+ failed at stage lint`,
      ),
    );
  });

  it('the passing commit, re-nooped on the moved fleet (not rebuilt) and approved, applies without --force', async () => {
    const built = /build #(\d+) passed/.exec(world.messageOf(passing).text)?.[1];
    await world.composed.reviews.refreshStale();
    const review = await world.composed.reviews.get(passing);
    expect(review?.build).toMatchObject({
      kind: 'builds',
      builds: [{ id: Number(built), status: 'passed' }],
    });
    expect(await world.app.builds?.service.list({ repo: 'puppet' })).toHaveLength(2);
    expect(await world.dispatch('U0ADMIN', `approve ${passing}`)).toMatch(/^approved /);
    await world.dispatch('U0ALICE', `apply ${passing.slice(0, 7)}`);
    const id = lastPlanId();
    const { text, ref } = planText(id);
    expect(text).not.toContain('— blocked');
    expect(text).toContain('[Confirm');
    expect(await world.dispatch('U0ALICE', `confirm ${id}`, { source: ref })).toMatch(/confirmed/);
    await world.composed.applies.idle();
    expect((await world.composed.applies.get(id))?.status).toBe('passed');
  });

  it('a build killed is a blocker; a rebuild that passes unblocks the apply without a new noop', async () => {
    // A first stage that takes a while, so the build can be watched running and killed.
    const slow = world.commit('gate: a third marker, behind a slow stage', {
      'ocelot.yml': pipeline.replace('stages:\n', 'stages:\n  - name: wait\n    script: [sleep 5]\n'),
      'manifests/site.pp': withMarker('gate-c'),
    });
    await world.dispatch('U0NOBODY', `noop ${slow}`);
    const running = await reviewSays(slow, /build #\d+ running \(stage 1 of 3\)/);
    const first = Number(/build #(\d+) running/.exec(running)?.[1]);
    await world.dispatch('U0ADMIN', `kill ${first}`);
    await reviewSays(
      slow,
      new RegExp(`build #${first} cancelled: \`/heckler build puppet ${slow.slice(0, 7)}\` builds it again`),
    );
    expect(await world.dispatch('U0ADMIN', `approve ${slow}`)).toMatch(/^approved /);
    const computedAt = (await world.composed.reviews.get(slow))?.computedAt;

    await world.dispatch('U0ALICE', `apply ${slow.slice(0, 7)}`);
    expect(planText(lastPlanId()).text).toMatch(
      new RegExp(
        `\`${slow.slice(0, 7)}\` .* — build #${first} was cancelled: \`/heckler build puppet ${slow.slice(0, 7)}\` builds it again`,
      ),
    );

    await world.dispatch('U0ADMIN', `build puppet ${slow.slice(0, 7)}`);
    const rebuilt = await reviewSays(slow, /build #\d+ passed/);
    expect(Number(/build #(\d+) passed/.exec(rebuilt)?.[1])).toBeGreaterThan(first);
    expect(rebuilt).not.toContain('applies are blocked');
    await world.dispatch('U0ALICE', `apply ${slow.slice(0, 7)}`);
    const id = lastPlanId();
    const { text, ref } = planText(id);
    expect(text).not.toContain('— blocked');
    expect((await world.composed.reviews.get(slow))?.computedAt).toBe(computedAt);
    expect(await world.dispatch('U0ALICE', `confirm ${id}`, { source: ref })).toMatch(/confirmed/);
    await world.composed.applies.idle();
    expect((await world.composed.applies.get(id))?.status).toBe('passed');
  });

  it('GitHub has both statuses on each commit: heckler/review and heckler/build/default', async () => {
    await world.app.builds?.service.idle();
    const of = (sha: string) =>
      github.statuses
        .filter((call) => call.sha === sha && call.owner === 'acme' && call.repo === 'puppet')
        .map((call) => `${call.body.context} ${call.body.state}`);
    const failed = await eventually(async () => {
      const seen = of(failing);
      return seen.includes('heckler/review success') ? seen : undefined;
    });
    expect(failed).toContain('heckler/build/default pending');
    expect(failed).toContain('heckler/build/default failure');
    expect(failed).toContain('heckler/review pending');
    const passed = of(passing);
    expect(passed).toContain('heckler/build/default success');
    expect(passed).toContain('heckler/review success');
  });
});
