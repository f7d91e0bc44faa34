import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubCodeHost } from '../../../src/adapters/github/code-host.js';
import { FakeGitHubApi } from '../../fakes/github-api.js';
import { captureLogger } from '../../support/logger.js';

/** The octokit adapter against a local fake that speaks GitHub's commit-status API. */
const TOKEN = 'ghp_adapter0token0for0tests';
const SHA = '3f9c2e1'.padEnd(40, '0');
let github: FakeGitHubApi;

beforeAll(async () => {
  github = await FakeGitHubApi.start({ token: TOKEN });
});

afterAll(async () => {
  await github?.stop();
});

const host = (token = TOKEN) =>
  createGitHubCodeHost({ token, apiUrl: `${github.url}/`, logger: captureLogger().logger });

describe('GitHub commit statuses through octokit', () => {
  it('posts a status with the token, the context, a description cut at 140 and the link', async () => {
    await host().setStatus('acme/api', SHA, {
      state: 'pending',
      context: 'heckler/default',
      description: 'x'.repeat(200),
      targetUrl: 'https://chat.example.com/builds/12',
    });
    expect(github.statuses.at(-1)).toEqual({
      owner: 'acme',
      repo: 'api',
      sha: SHA,
      authorization: `token ${TOKEN}`,
      body: {
        state: 'pending',
        context: 'heckler/default',
        description: 'x'.repeat(140),
        target_url: 'https://chat.example.com/builds/12',
      },
    });
  });

  it('rejects when GitHub refuses the credentials or fails, so callers can log it', async () => {
    const status = { state: 'success', context: 'heckler/default', description: 'passed' } as const;
    await expect(host('ghp_wrong').setStatus('acme/api', SHA, status)).rejects.toMatchObject({
      status: 401,
      message: expect.stringMatching(/Bad credentials/),
    });
    github.failNext = { count: 1, status: 502 };
    await expect(host().setStatus('acme/api', SHA, status)).rejects.toMatchObject({ status: 502 });
    await host().setStatus('acme/api', SHA, status);
    expect(github.accepted().at(-1)?.body.state).toBe('success');
  });
});
