import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { BuildRecord } from '../../src/engine/builds/records.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { eventually } from '../adapters/docker/harness.js';
import { gitEnv, gitIn } from '../adapters/git/repos.js';
import { createOrigin, type Origin } from '../engine/builds/service-harness.js';
import { FakeGitHubApi } from '../fakes/github-api.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { makeTree, TEST_IMAGE, type TestDocker, useDocker } from '../support/docker.js';
import { type FakeRegistry, startFakeRegistry } from '../support/fake-registry.js';
import { deliver } from '../support/github-webhook.js';
import { captureLogger } from '../support/logger.js';

/**
 * Pull requests built from GitHub's webhook, end to end: the bot as composeApp builds it (its
 * webhook on metrics.port), a private Docker engine, a registry on loopback that wants
 * credentials, octokit against the fake GitHub. A pull request from a branch of the repository
 * gets the registry login and the repository's secret env; one from a fork gets neither.
 */
const SECRET = 'whsec-pr-test-secret';
const TOKEN = 'ghp_fake0token0for0pull0requests';
const DEPLOY_TOKEN = 'deploy-tok-9f8e7d6c5b4a';
const suffix = randomUUID().slice(0, 8);
const SOURCE = `hk-pr-private:${suffix}`;

let dir: string;
let docker: TestDocker;
let github: FakeGitHubApi;
let registry: FakeRegistry;
let storage: Storage;
let app: HecklerApp;
let origin: Origin;
let hook: string;
const chat = new RecordingChat();
const log = captureLogger([SECRET, TOKEN, DEPLOY_TOKEN, 'alice-pw']);

const privateImage = () => `${registry.host}/acme/private:1`;
/** Prints what the build was given, without printing a secret (the log would mask it anyway). */
const pipeline = (image: string) => `image: ${image}
stages:
  - name: env
    script:
      - 'echo "deploy-token-length=\${#DEPLOY_TOKEN} via=\${HECKLER_BRANCH}"'
`;

const prPayload = (
  number: number,
  sha: string,
  head: { ref: string; repo: string | null },
  action = 'opened',
) => ({
  action,
  number,
  pull_request: {
    number,
    user: { login: number === 13 || number === 14 ? 'mallory' : 'octocat' },
    head: { sha, ref: head.ref, repo: head.repo === null ? null : { full_name: head.repo } },
    base: { ref: 'main', repo: { full_name: 'acme/api' } },
  },
  repository: { full_name: 'acme/api' },
  sender: { login: 'octocat' },
});

/** A commit only GitHub's pull ref holds (as a fork's head is): on a branch that is then deleted. */
const pullHead = async (number: number, branch: string, files: Record<string, string>) => {
  const sha = await origin.commit(branch, files, `pr ${number}`);
  await gitIn(origin.path, 'update-ref', `refs/pull/${number}/head`, sha);
  return sha;
};

const buildsOf = async (sha: string): Promise<BuildRecord[]> =>
  (await app.builds?.service.list({ limit: 100 }))?.filter((b) => b.sha === sha) ?? [];

const finished = (sha: string) =>
  eventually(async () => {
    await app.webhook?.settled();
    await app.builds?.service.idle();
    const [build] = await buildsOf(sha);
    return build && !['queued', 'running'].includes(build.status) ? build : undefined;
  }, 60_000);

const logOf = async (build: BuildRecord) => (await app.builds?.service.log(build.id))?.text ?? '';

const manifestUsers = (since: number) =>
  registry.requests.slice(since).flatMap((line) => {
    const [method, path, user] = line.split(' ');
    return method && path?.includes('/manifests/') ? [user ?? '?'] : [];
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hk-pr-'));
  [docker, github] = await Promise.all([useDocker(), FakeGitHubApi.start({ token: TOKEN })]);
  const context = makeTree({ Dockerfile: `FROM ${TEST_IMAGE}\nLABEL heckler.test-source="${SOURCE}"\n` });
  const stream = await docker.docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: SOURCE });
  await new Promise((resolve, reject) =>
    docker.docker.modem.followProgress(stream, (error, output) => (error ? reject(error) : resolve(output))),
  );
  registry = await startFakeRegistry(
    docker.docker,
    { 'acme/private': { image: SOURCE, readers: ['alice'] } },
    { alice: 'alice-pw' },
  );
  await docker.docker.getImage(SOURCE).remove();
  origin = await createOrigin(join(dir, 'origin'));
  await origin.commit('main', { 'ocelot.yml': pipeline(TEST_IMAGE) });
  const keyPrefix = `test-pr-${suffix}`;
  const config = testConfig(
    {
      storage: { dataDir: join(dir, 'data'), keyPrefix },
      metrics: { port: 0 },
      builds: {
        repos: [{ name: 'infra/api', url: origin.path, secretEnv: ['DEPLOY_TOKEN'] }],
        docker: { hosts: [{ address: docker.address, capacity: 2 }] },
        channel: 'C0BUILDS',
        pollEvery: '1h',
        github: { apiUrl: github.url, repos: { 'infra/api': 'acme/api' } },
      },
    },
    {
      childEnv: gitEnv(dir),
      secrets: {
        githubToken: TOKEN,
        githubWebhookSecret: SECRET,
        buildEnv: { 'infra/api': { DEPLOY_TOKEN } },
        registry: { [registry.host]: { username: 'alice', password: 'alice-pw' } },
      },
    },
  );
  storage = await createStorage({ redisUrl: inject('redisUrl'), dataDir: join(dir, 'data'), keyPrefix });
  app = await composeApp(config, { chat, storage, logger: log.logger, version: 'test', scheduler: false });
  await app.start();
  const listening = log.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'metrics listening');
  hook = `http://127.0.0.1:${listening.port}/github/webhook`;
  // The first poll records the branch tips; pushes after it are built.
  await app.builds?.service.poll();
}, 120_000);

afterAll(async () => {
  await app?.close();
  await storage?.close();
  await registry?.stop();
  await github?.stop();
  await docker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pull requests from the webhook', () => {
  it('builds a pull request from a branch of the repository with its credentials and secret env, and says who opened it', async () => {
    const sha = await pullHead(12, 'feature/login', {
      'ocelot.yml': pipeline(privateImage()),
      'app.txt': 'x',
    });
    const since = registry.requests.length;
    const answer = await deliver(
      hook,
      'pull_request',
      prPayload(12, sha, { ref: 'feature/login', repo: 'acme/api' }),
      {
        secret: SECRET,
      },
    );
    expect(answer.status).toBe(202);
    const build = await finished(sha);
    expect(build).toMatchObject({
      status: 'passed',
      branch: 'feature/login',
      trigger: { kind: 'pull_request', by: 'PR #12 by @octocat' },
    });
    expect(build.trigger.untrusted).toBeUndefined();
    expect(await logOf(build)).toContain(`deploy-token-length=${DEPLOY_TOKEN.length} via=feature/login`);
    expect(manifestUsers(since)).toContain('alice');
    const message = chat.events.find(
      (e) =>
        e.kind === 'post' &&
        e.channel === 'C0BUILDS' &&
        JSON.stringify(e.message).includes('PR #12 by @octocat'),
    );
    expect(message).toBeDefined();
  });

  it('puts queued, running and the result on the head commit, each linked to the build message', async () => {
    const [build] = await buildsOf(
      (await buildsOf(await gitIn(origin.path, 'rev-parse', 'refs/pull/12/head')))[0]?.sha ?? '',
    );
    const sha = build?.sha ?? '';
    const statuses = await eventually(async () => {
      const seen = github.accepted().filter((s) => s.sha === sha);
      return seen.some((s) => s.body.state === 'success') ? seen : undefined;
    });
    expect(statuses.map((s) => [s.owner, s.repo, s.body.context, s.body.state, s.body.description])).toEqual([
      ['acme', 'api', 'heckler/default', 'pending', `build #${build?.id} queued`],
      ['acme', 'api', 'heckler/default', 'pending', `build #${build?.id} running`],
      [
        'acme',
        'api',
        'heckler/default',
        'success',
        expect.stringMatching(new RegExp(`^build #${build?.id} passed in`)),
      ],
    ]);
    const post = chat.events.find(
      (e) =>
        e.kind === 'post' && e.channel === 'C0BUILDS' && JSON.stringify(e.message).includes(`#${build?.id}`),
    );
    const link = post?.kind === 'post' ? await chat.permalink(post.ref) : 'no message';
    for (const status of statuses) expect(status.body.target_url).toBe(link);
  });

  it("builds a fork's pull request as pull/N, without the secret env", async () => {
    const sha = await pullHead(13, 'mallory-main', { 'ocelot.yml': pipeline(TEST_IMAGE), 'evil.txt': 'x' });
    await gitIn(origin.path, 'branch', '-D', 'mallory-main');
    const answer = await deliver(
      hook,
      'pull_request',
      prPayload(13, sha, { ref: 'main', repo: 'mallory/api' }),
      { secret: SECRET },
    );
    expect(answer.status).toBe(202);
    const build = await finished(sha);
    expect(build).toMatchObject({
      status: 'passed',
      branch: 'pull/13',
      trigger: { kind: 'pull_request', by: 'PR #13 by @mallory', untrusted: true },
    });
    expect(await logOf(build)).toContain('deploy-token-length=0 via=pull/13');
  });

  it("never hands a fork's build the registry login: its pull of the private image is anonymous and refused", async () => {
    const sha = await pullHead(14, 'mallory-private', {
      'ocelot.yml': pipeline(privateImage()),
      'evil2.txt': 'x',
    });
    await gitIn(origin.path, 'branch', '-D', 'mallory-private');
    const since = registry.requests.length;
    await deliver(hook, 'pull_request', prPayload(14, sha, { ref: 'x', repo: null }, 'synchronize'), {
      secret: SECRET,
    });
    const build = await finished(sha);
    expect(build.status).toBe('error');
    expect(build.trigger.untrusted).toBe(true);
    const users = manifestUsers(since);
    expect(users.length).toBeGreaterThan(0);
    expect(users.every((user) => user === '-')).toBe(true);
    expect(log.text()).not.toContain('alice-pw');
    expect(log.text()).not.toContain(DEPLOY_TOKEN);
  });

  it('builds nothing twice: a second delivery for the same head, a head that moved, a closed pull request', async () => {
    const sha12 = await gitIn(origin.path, 'rev-parse', 'refs/pull/12/head');
    const before = (await app.builds?.service.list({ limit: 100 }))?.length;
    const again = await deliver(
      hook,
      'pull_request',
      prPayload(12, sha12, { ref: 'feature/login', repo: 'acme/api' }, 'reopened'),
      { secret: SECRET },
    );
    expect(again.status).toBe(202);
    const stale = await deliver(
      hook,
      'pull_request',
      prPayload(12, 'c'.repeat(40), { ref: 'feature/login', repo: 'acme/api' }, 'synchronize'),
      { secret: SECRET },
    );
    expect(stale.status).toBe(202);
    const closed = await deliver(
      hook,
      'pull_request',
      prPayload(12, sha12, { ref: 'feature/login', repo: 'acme/api' }, 'closed'),
      { secret: SECRET },
    );
    expect(closed.text).toBe('ignored: pull request closed\n');
    await app.webhook?.settled();
    expect((await app.builds?.service.list({ limit: 100 }))?.length).toBe(before);
    const why = log.lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'pull request not built')
      .map((l) => l.why);
    expect(why).toEqual([
      expect.stringMatching(/^already built as #\d+$/),
      `its head moved to ${sha12.slice(0, 7)}; that event builds it`,
    ]);
  });

  it('builds a push at once when GitHub says so, without waiting for the poll', async () => {
    const sha = await origin.commit('main', { 'ocelot.yml': pipeline(TEST_IMAGE), 'pushed.txt': 'y' });
    const answer = await deliver(
      hook,
      'push',
      { ref: 'refs/heads/main', after: sha, deleted: false, repository: { full_name: 'acme/api' } },
      { secret: SECRET },
    );
    expect(answer.status).toBe(202);
    const build = await finished(sha);
    expect(build).toMatchObject({ status: 'passed', branch: 'main', trigger: { kind: 'push' } });
    expect(await logOf(build)).toContain(`deploy-token-length=${DEPLOY_TOKEN.length} via=main`);
  });
});
