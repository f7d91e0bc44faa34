import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubCodeHost } from '../../../src/adapters/github/code-host.js';
import { isHecklerError } from '../../../src/engine/errors.js';
import { FakeGitHubApi } from '../../fakes/github-api.js';
import { captureLogger } from '../../support/logger.js';

/** Who GitHub says made a commit, read through octokit from a fake speaking GitHub's commits API. */
const TOKEN = 'ghp_identity0token0for0tests';
const sha = (digit: string) => digit.repeat(40);
let github: FakeGitHubApi;

beforeAll(async () => {
  github = await FakeGitHubApi.start({ token: TOKEN });
  github.addCommit('infra/puppet', sha('a'), { authorLogin: 'alice', verified: true });
  github.addCommit('infra/puppet', sha('b'), {
    authorLogin: 'alice',
    committerLogin: 'web-flow',
    verified: true,
  });
  github.addCommit('infra/puppet', sha('c'), { authorLogin: null, committerLogin: 'bob', verified: false });
  github.addCommit('infra/puppet', sha('d'), { authorLogin: 'dave', verified: false, reason: 'unknown_key' });
  github.addRepo('infra/empty');
});

afterAll(async () => {
  await github?.stop();
});

const host = (options: { token?: string; timeoutMs?: number } = {}) =>
  createGitHubCodeHost({
    token: options.token ?? TOKEN,
    apiUrl: github.url,
    logger: captureLogger().logger,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );

describe('commitIdentity', () => {
  it.each([
    [
      'a signed commit by its author',
      'a',
      { authorLogin: 'alice', committerLogin: 'alice', verified: true, verificationReason: 'valid' },
    ],
    [
      'a web UI merge, signed by GitHub',
      'b',
      { authorLogin: 'alice', committerLogin: 'web-flow', verified: true, verificationReason: 'valid' },
    ],
    [
      'an unsigned commit whose author email matches no account',
      'c',
      { committerLogin: 'bob', verified: false, verificationReason: 'unsigned' },
    ],
    [
      'a signature with a key GitHub does not know',
      'd',
      { authorLogin: 'dave', committerLogin: 'dave', verified: false, verificationReason: 'unknown_key' },
    ],
  ])('reads %s', async (_name, digit, identity) => {
    expect(await host().commitIdentity('infra/puppet', sha(digit))).toEqual(identity);
    expect(github.commitReads.at(-1)).toEqual({
      owner: 'infra',
      repo: 'puppet',
      ref: sha(digit),
      authorization: `token ${TOKEN}`,
    });
  });

  it('says NOT_FOUND for a commit GitHub does not have, naming it', async () => {
    const error = await rejection(host().commitIdentity('infra/empty', sha('e')));
    expect(isHecklerError(error, 'NOT_FOUND')).toBe(true);
    expect((error as Error).message).toBe(`GitHub has no commit ${sha('e').slice(0, 12)} in infra/empty`);
    expect((error as Error).cause).toMatchObject({ status: 422 });
  });

  it('says NOT_FOUND for a repository GitHub does not have (or hides from the token)', async () => {
    const error = await rejection(host().commitIdentity('infra/nope', sha('a')));
    expect(isHecklerError(error, 'NOT_FOUND')).toBe(true);
    expect((error as Error).message).toMatch(/no repository infra\/nope that GITHUB_TOKEN can read/);
  });

  it('says REPO_UNAVAILABLE for a bad token or a failing GitHub, without the token in the message', async () => {
    const bad = await rejection(host({ token: 'ghp_wrong0token' }).commitIdentity('infra/puppet', sha('a')));
    expect(isHecklerError(bad, 'REPO_UNAVAILABLE')).toBe(true);
    expect((bad as Error).message).toMatch(/Bad credentials/);
    expect((bad as Error).message).not.toContain('ghp_');
    expect((bad as Error).cause).toMatchObject({ status: 401 });
    github.failNext = { count: 1, status: 502 };
    const failed = await rejection(host().commitIdentity('infra/puppet', sha('a')));
    expect(isHecklerError(failed, 'REPO_UNAVAILABLE')).toBe(true);
    expect((failed as Error).cause).toMatchObject({ status: 502 });
    expect((await host().commitIdentity('infra/puppet', sha('a'))).verified).toBe(true);
  });

  it('gives up on a GitHub that does not answer, after the per-request timeout', async () => {
    github.stallNext = 1;
    const started = performance.now();
    const error = await rejection(host({ timeoutMs: 200 }).commitIdentity('infra/puppet', sha('a')));
    expect(isHecklerError(error, 'REPO_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/did not answer in time/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
