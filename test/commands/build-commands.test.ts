import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../adapters/docker/harness.js';
import {
  BUILDER,
  BUILDS_CHANNEL,
  type BuildsHarness,
  createOrigin,
  NOBODY,
  type Origin,
  posts,
  startBuilds,
  textOf,
  threadOf,
} from '../engine/builds/service-harness.js';
import { FakeGitHubApi } from '../fakes/github-api.js';
import { TEST_IMAGE, type TestDocker, useDocker } from '../support/docker.js';

/**
 * The build commands end to end: the real dispatcher, composition, git mirror, Docker engine and
 * octokit against a fake GitHub; chat is recorded.
 */
const TOKEN = 'ghp_fake0token0for0heckler0tests';
const ALERTS = 'C0ALERTS';

const passing = `image: ${TEST_IMAGE}
env:
  - GREETING=hello
stages:
  - name: prepare
    script:
      - echo "$GREETING" > out.txt
  - name: test
    script:
      - cat out.txt
      - test -f README.md
  - name: package
    script: [ls]
`;

const failing = `image: ${TEST_IMAGE}
env:
  - TOKEN=${TOKEN}
notify:
  slack:
    channel: ${ALERTS}
    on: [FAIL]
stages:
  - name: build
    script: [echo built]
  - name: test
    script:
      - echo "using $TOKEN"
      - echo "the last words before failing"
      - exit 3
  - name: deploy
    script: [echo never]
`;

const slow = `image: ${TEST_IMAGE}\nstages:\n  - name: wait\n    script: [sleep 60]\n`;
const broken = `image: ${TEST_IMAGE}\nstages:\n  - name: build\n    script:\n      - make\n      - 3\n  - nme: test\n    script: [echo]\n`;

let docker: TestDocker;
let github: FakeGitHubApi;
let origin: Origin;
let h: BuildsHarness;
let dir: string;
const sha: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hk-bcmd-'));
  [docker, github] = await Promise.all([useDocker(), FakeGitHubApi.start({ token: TOKEN })]);
  origin = await createOrigin(join(dir, 'origin'));
  sha.main = await origin.commit('main', { 'README.md': 'hi\n', 'ocelot.yml': passing }, 'add the pipeline');
  sha.failing = await origin.commit('failing', { 'ocelot.yml': failing }, 'a failing pipeline');
  sha.slow = await origin.commit('slow', { 'ocelot.yml': slow });
  sha.broken = await origin.commit('broken', { 'ocelot.yml': broken });
  h = await startBuilds(
    docker,
    {
      repos: [{ name: 'infra/api', url: origin.path }],
      github: { apiUrl: github.url, repos: { 'infra/api': 'acme/api' } },
    },
    { secrets: { githubToken: TOKEN } },
  );
}, 120_000);

afterAll(async () => {
  await h?.close();
  await github?.stop();
  await docker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('/heckler build', () => {
  it('queues a 3-stage build, posts its message, updates it, replies per stage, and passes', async () => {
    const answer = textOf(await h.ask('build infra/api'));
    expect(answer).toMatch(/queued build #\d+ of infra\/api main \([0-9a-f]{7}\); follow it in C0BUILDS/);
    await h.idle();
    const [post] = posts(h.chat.events, BUILDS_CHANNEL);
    if (!post) throw new Error('no build message posted');
    const { updates, replies } = threadOf(h.chat.events, post.ref);
    expect(updates.length).toBeGreaterThan(0);
    const final = textOf([updates.at(-1)?.message ?? post.message]);
    expect(final).toMatch(/:white_check_mark: \*Build #\d+ infra\/api `main` `[0-9a-f]{7}`\* — passed in/);
    expect(final).toContain('triggered by <@U0BUILDER>');
    expect(final).toMatch(/prepare — passed · exit 0/);
    expect(replies.map((r) => textOf([r.message]))).toEqual([
      expect.stringMatching(/:white_check_mark: prepare — passed · exit 0 · \d+ms/),
      expect.stringMatching(/:white_check_mark: test — passed · exit 0/),
      expect.stringMatching(/:white_check_mark: package — passed · exit 0/),
    ]);
  });

  it('posts commit statuses queued, running then success to GitHub, with the token', async () => {
    const calls = github.accepted().filter((call) => call.sha === sha.main);
    expect(calls.map((call) => call.body.state)).toEqual(['pending', 'pending', 'success']);
    expect(calls[0]).toMatchObject({ owner: 'acme', repo: 'api', body: { context: 'heckler/default' } });
    expect(calls[0]?.body.description).toMatch(/^build #\d+ queued$/);
    expect(calls[1]?.body.description).toMatch(/^build #\d+ running$/);
    expect(calls[2]?.body.description).toMatch(/^build #\d+ passed in /);
  });

  it('a failing stage: exit code, later stages not run, and a notice with the masked log tail in notify', async () => {
    await h.ask('build infra/api failing');
    await h.idle();
    const notice = posts(h.chat.events, ALERTS).find((p) => /failed at/.test(p.message.text));
    if (!notice) throw new Error('no failure notice in the notify channel');
    const text = textOf([notice.message]);
    expect(text).toMatch(
      /:x: \*Build #\d+ infra\/api `failing` `[0-9a-f]{7}`\* failed at \*test\* \(exit 3\) — <@U0BUILDER>/,
    );
    expect(text).toContain('the last words before failing');
    expect(text).toContain('using [masked]');
    expect(text).not.toContain(TOKEN);
    const [message] = posts(h.chat.events, ALERTS);
    const final = textOf([
      threadOf(h.chat.events, message?.ref ?? { channel: '', ts: '' }).updates.at(-1)?.message ??
        notice.message,
    ]);
    expect(final).toMatch(/test — failed · exit 3/);
    expect(final).toMatch(/deploy — not run/);
    const states = github
      .accepted()
      .filter((call) => call.sha === sha.failing)
      .map((call) => call.body.state);
    expect(states).toEqual(['pending', 'pending', 'failure']);
  });

  it('refuses a user without the builder role, and builds nothing', async () => {
    const before = h.chat.events.length;
    expect(textOf(await h.ask('build infra/api', NOBODY))).toMatch(
      /`build` needs the builder role; your roles: none/,
    );
    expect(h.chat.events.length).toBe(before);
  });

  it('reports an invalid ocelot.yml with key paths, and builds nothing', async () => {
    const before = (await h.composed.service.list()).length;
    const answer = textOf(await h.ask('build infra/api broken'));
    expect(answer).toMatch(/ocelot\.yml of infra\/api at broken \([0-9a-f]{7}\) is invalid \(3 problems\)/);
    expect(answer).toContain('stages[0].script[1]: expected a string, found a number (3)');
    expect(answer).toContain("stages[1].nme: unknown key (did you mean 'name'?)");
    expect((await h.composed.service.list()).length).toBe(before);
  });
});

describe('/heckler builds, logs, kill, validate', () => {
  it('lists builds newest first with id, repo, branch, sha, status, duration and who', async () => {
    const answer = textOf(await h.ask('builds infra/api', NOBODY));
    const lines = answer.split('\n').filter((line) => line.includes('`#'));
    expect(lines[0]).toMatch(
      /:x: `#\d+` infra\/api · `failing` · `[0-9a-f]{7}` · failed · \d+(ms|s) · <@U0BUILDER>/,
    );
    expect(lines[1]).toMatch(/:white_check_mark: `#\d+` infra\/api · `main` · `[0-9a-f]{7}` · passed/);
  });

  it('shows one stage of a log, and names the stages when asked for one that does not exist', async () => {
    const [failed] = await h.composed.service.list({ repo: 'infra/api' });
    expect(textOf(await h.ask(`logs ${failed?.id} --stage test`, NOBODY))).toBe('');
    const upload = h.chat.events.at(-1);
    if (upload?.kind !== 'upload') throw new Error('the log was not uploaded');
    expect(upload.file.filename).toBe(`build-${failed?.id}-test.log`);
    expect(upload.file.title).toMatch(
      new RegExp(`^Log of build #${failed?.id} infra/api failing [0-9a-f]{7} \\(stage test\\) — failed`),
    );
    expect(upload.file.comment).toBe(`<@${NOBODY}> asked for build-${failed?.id}-test.log`);
    expect(upload.file.content).toMatch(
      /== test \(failed\) ==\nusing \[masked\]\nthe last words before failing/,
    );
    expect(upload.file.content).not.toContain('== build');
    expect(textOf(await h.ask(`logs ${failed?.id} --stage tset`, NOBODY))).toMatch(
      /build \d+ has no stage 'tset'; its stages are build, test, deploy/,
    );
    expect(textOf(await h.ask('logs 99999', NOBODY))).toMatch(/there is no build #99999/);
  });

  it('kills a build during sleep 60: cancelled at once, and who killed it is shown', async () => {
    await h.ask('build infra/api slow');
    const [queued] = await h.composed.service.list({ repo: 'infra/api', limit: 1 });
    const id = queued?.id ?? 0;
    await eventually(async () => {
      const build = await h.composed.service.get(id);
      return build.stages[0]?.startedAt ? build : undefined;
    }, 30_000);
    const answer = textOf(await h.ask(`kill ${id}`));
    expect(answer).toMatch(new RegExp(`Build #${id} infra/api \`slow\` .* cancelled by <@U0BUILDER>`));
    await h.idle();
    const build = await h.composed.service.get(id);
    expect(build).toMatchObject({ status: 'cancelled', killedBy: BUILDER });
    const post = posts(h.chat.events, BUILDS_CHANNEL).find((p) => p.message.text.startsWith(`Build #${id} `));
    const last = threadOf(h.chat.events, post?.ref ?? { channel: '', ts: '' }).updates.at(-1);
    expect(textOf([last?.message ?? { text: '', blocks: [] }])).toMatch(
      /— cancelled[\s\S]*cancelled by <@U0BUILDER>/,
    );
    expect(
      await docker.docker.listContainers({ all: true, filters: { label: [`heckler.build=${id}`] } }),
    ).toEqual([]);
    expect(textOf(await h.ask(`kill ${id}`))).toMatch(/had already finished: cancelled/);
    expect(textOf(await h.ask(`kill ${sha.slow?.slice(0, 7)}`))).toMatch(
      /`slow` .* had already finished: cancelled/,
    );
    expect(textOf(await h.ask('kill 0000000'))).toMatch(/there is no build with id or SHA 0000000/);
  });

  it('validates a broken ocelot.yml at a revision, naming key paths; a good one is summarised', async () => {
    const bad = textOf(await h.ask(`validate infra/api ${sha.broken?.slice(0, 8)}`, NOBODY));
    expect(bad).toMatch(/:x: ocelot\.yml of infra\/api at broken \([0-9a-f]{7}\) is invalid \(3 problems\):/);
    expect(bad).toContain('• stages[1].name: expected a string, found nothing');
    const good = textOf(await h.ask('validate infra/api', NOBODY));
    expect(good).toMatch(/:white_check_mark: ocelot\.yml of infra\/api at main \([0-9a-f]{7}\) is valid/);
    expect(good).toContain(`*default*: \`${TEST_IMAGE}\` · 3 stages (prepare, test, package) · every branch`);
  });
});
