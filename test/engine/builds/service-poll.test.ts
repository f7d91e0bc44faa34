import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../adapters/docker/harness.js';
import { FakeGitHubApi } from '../../fakes/github-api.js';
import { TEST_IMAGE, type TestDocker, useDocker } from '../../support/docker.js';
import {
  BUILDS_CHANNEL,
  type BuildsHarness,
  createOrigin,
  type Origin,
  posts,
  startBuilds,
  textOf,
} from './service-harness.js';

/** Pushes reach builds by polling: real git origin, mirror, Docker engine and a fake GitHub. */
const TOKEN = 'ghp_poll0token0for0heckler0tests';
const pipelineFile = `image: ${TEST_IMAGE}
branches: [main]
stages:
  - name: show
    script: [echo "$HECKLER_SHA"]
`;

let docker: TestDocker;
let github: FakeGitHubApi;
let origin: Origin;
let h: BuildsHarness;
let dir: string;

const poll = async () => {
  const [report] = await h.composed.service.poll();
  if (!report) throw new Error('no poll report');
  return report;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hk-bpoll-'));
  [docker, github] = await Promise.all([useDocker(), FakeGitHubApi.start({ token: TOKEN })]);
  origin = await createOrigin(join(dir, 'origin'));
  await origin.commit('main', { 'ocelot.yml': pipelineFile, 'README.md': 'one\n' });
  await origin.commit('main', { 'README.md': 'two\n' });
  h = await startBuilds(
    docker,
    {
      repos: [{ name: 'infra/api', url: `file://${origin.path}` }],
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

describe('polling watched repositories', () => {
  it('only records the branch tips at the first poll: no build storm', async () => {
    const report = await poll();
    expect(report).toMatchObject({ repo: 'infra/api', first: true, built: [] });
    expect(await h.composed.service.list()).toEqual([]);
  });

  it('builds a new commit pushed to the origin once, as a push', async () => {
    const sha = await origin.commit('main', { 'src/app.sh': 'echo app\n' }, 'add the app');
    const report = await poll();
    expect(report.built).toHaveLength(1);
    await h.idle();
    const [build] = await h.composed.service.list();
    expect(build).toMatchObject({
      sha,
      branch: 'main',
      status: 'passed',
      trigger: { kind: 'push', by: 'push (Test Pusher)' },
    });
    expect(build?.commit).toMatchObject({ message: 'add the app', changedFiles: ['src/app.sh'] });
    expect((await poll()).built).toEqual([]);
    expect(await h.composed.service.list()).toHaveLength(1);
  });

  it('builds several new commits oldest first', async () => {
    const first = await origin.commit('main', { 'a.txt': 'a\n' });
    const second = await origin.commit('main', { 'b.txt': 'b\n' });
    const { built } = await poll();
    const builds = await Promise.all(built.map((id) => h.composed.service.get(id)));
    expect(builds.map((b) => b.sha)).toEqual([first, second]);
    expect(built[0]).toBeLessThan(built[1] ?? 0);
    await h.idle();
  });

  it('does not build a [skip ci] commit, and says so in the log', async () => {
    const sha = await origin.commit('main', { 'c.txt': 'c\n' }, 'docs only [skip ci]');
    const report = await poll();
    expect(report.built).toEqual([]);
    expect(report.skipped).toEqual([{ sha, branch: 'main', why: '[skip ci] in the commit message' }]);
    expect(h.log.text()).toMatch(
      new RegExp(`"sha":"${sha}".*"why":"\\[skip ci\\] in the commit message".*push not built`),
    );
  });

  it('does not build a branch the pipeline does not allow', async () => {
    const sha = await origin.commit('feature/x', { 'd.txt': 'd\n' });
    const report = await poll();
    expect(report.built).toEqual([]);
    expect(report.skipped).toEqual([
      { sha, branch: 'feature/x', why: 'no pipeline builds branch feature/x' },
    ]);
  });

  it('says in the builds channel when a pushed ocelot.yml is invalid, and builds nothing', async () => {
    await origin.commit('main', { 'ocelot.yml': 'image: 3\nstages: []\nstagse: []\n' }, 'break the pipeline');
    const report = await poll();
    expect(report.built).toEqual([]);
    const notice = posts(h.chat.events, BUILDS_CHANNEL).find((p) =>
      p.message.text.includes('ocelot.yml is invalid'),
    );
    expect(textOf([notice?.message ?? { text: '', blocks: [] }])).toMatch(
      /infra\/api main \([0-9a-f]{7}\): ocelot\.yml is invalid, so nothing was built\nimage: expected .*\nstagse: unknown key \(did you mean 'stages'\?\)/,
    );
    await origin.commit('main', { 'ocelot.yml': pipelineFile }, 'fix the pipeline');
    expect((await poll()).built).toHaveLength(1);
    await h.idle();
  });

  it('finishes the build when GitHub refuses the statuses, and logs why', async () => {
    // Queued, running and the result: GitHub refuses all three.
    github.failNext = { count: 3, status: 500 };
    const sha = await origin.commit('main', { 'e.txt': 'e\n' });
    const { built } = await poll();
    await h.idle();
    expect(await h.composed.service.get(built[0] ?? 0)).toMatchObject({ sha, status: 'passed' });
    expect(h.log.text()).toMatch(/"state":"pending".*could not post the commit status/);
    expect(h.log.text()).toMatch(/"state":"success".*could not post the commit status/);
  });
});

describe('polling on a bree schedule', () => {
  it('builds a pushed commit without anyone asking', async () => {
    const scheduled = await startBuilds(
      docker,
      { repos: [{ name: 'infra/web', url: origin.path }], pollEvery: '1s' },
      {},
      { schedule: true },
    );
    try {
      // The first (immediate) poll records the tips; a commit after it is built by a scheduled one.
      await eventually(
        async () => ((await scheduled.storage.store('build-tips').get('infra/web')) ? true : undefined),
        20_000,
      );
      const sha = await origin.commit('main', { 'f.txt': 'f\n' });
      const build = await eventually(
        async () => (await scheduled.composed.service.list()).find((b) => b.sha === sha),
        20_000,
      );
      expect(build.trigger.kind).toBe('push');
      await scheduled.idle();
    } finally {
      await scheduled.close();
    }
  });
});
