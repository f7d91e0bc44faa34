import { Octokit } from '@octokit/rest';
import { HecklerError } from '../../engine/errors.js';
import type { CodeHost, CommitIdentity } from '../../engine/ports/code-host.js';
import type { Logger } from '../../engine/ports/logger.js';

export interface GitHubOptions {
  /** GITHUB_TOKEN: sent as `Authorization: token …`. */
  token: string;
  /** `https://api.github.com`, a GitHub Enterprise `/api/v3` URL, or a test fake. */
  apiUrl: string;
  logger: Logger;
  /**
   * Per request; a status is not worth holding a build's bookkeeping for longer, nor an identity
   * a reviewer's button press.
   */
  timeoutMs?: number;
}

/** GitHub's own limit on a status description. */
const MAX_DESCRIPTION = 140;

/** An account as GitHub returns it for a commit: a user, `{}` or null when it matched no account. */
const loginOf = (account: unknown): string | undefined =>
  account !== null && typeof account === 'object' && 'login' in account && typeof account.login === 'string'
    ? account.login
    : undefined;

const statusOf = (error: unknown): number | undefined =>
  error !== null && typeof error === 'object' && 'status' in error && typeof error.status === 'number'
    ? error.status
    : undefined;

/**
 * GitHub answers 422 "No commit found for SHA" for a commit it does not have, and 404 for a
 * repository it does not have or hides from this token; anything else means GitHub could not say.
 */
const identityError = (error: unknown, repo: string, sha: string, timedOut: boolean): HecklerError => {
  const status = statusOf(error);
  const why = error instanceof Error ? error.message : String(error);
  if (status === 422 || (status === 404 && /No commit found/i.test(why)))
    return new HecklerError('NOT_FOUND', `GitHub has no commit ${sha.slice(0, 12)} in ${repo}`, {
      hint: 'Push the commit to GitHub, or check that repo.github names the repository Heckler mirrors.',
      cause: error,
    });
  if (status === 404)
    return new HecklerError('NOT_FOUND', `GitHub has no repository ${repo} that GITHUB_TOKEN can read`, {
      hint: 'Check repo.github.repo in heckler.yml and that the token may read that repository.',
      cause: error,
    });
  const message = timedOut ? 'it did not answer in time' : why;
  return new HecklerError(
    'REPO_UNAVAILABLE',
    `could not ask GitHub about commit ${sha.slice(0, 12)}: ${message}`,
    {
      hint: 'Check GITHUB_TOKEN and that this machine can reach the GitHub API.',
      cause: error,
    },
  );
};

/** The CodeHost port over octokit: commit statuses and commit identities. */
export const createGitHubCodeHost = ({
  token,
  apiUrl,
  logger,
  timeoutMs = 10_000,
}: GitHubOptions): CodeHost => {
  const octokit = new Octokit({
    auth: token,
    baseUrl: apiUrl.replace(/\/+$/, ''),
    userAgent: 'heckler',
    // octokit's default logger writes to the console; ours keeps lines structured and redacted.
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => logger.warn({ github: message }, 'github client'),
      error: (message: string) => logger.warn({ github: message }, 'github client'),
    },
  });
  const split = (repo: string) => {
    const [owner = '', name = ''] = repo.split('/');
    return { owner, repo: name };
  };
  return {
    setStatus: async (repo, sha, status) => {
      await octokit.rest.repos.createCommitStatus({
        ...split(repo),
        sha,
        state: status.state,
        context: status.context,
        description: status.description.slice(0, MAX_DESCRIPTION),
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
        request: { signal: AbortSignal.timeout(timeoutMs) },
      });
    },
    commitIdentity: async (repo, sha): Promise<CommitIdentity> => {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const { data } = await octokit.rest.repos.getCommit({
          ...split(repo),
          ref: sha,
          request: { signal },
        });
        const authorLogin = loginOf(data.author);
        const committerLogin = loginOf(data.committer);
        const verification = data.commit.verification;
        return {
          ...(authorLogin ? { authorLogin } : {}),
          ...(committerLogin ? { committerLogin } : {}),
          verified: verification?.verified === true,
          ...(verification?.reason ? { verificationReason: verification.reason } : {}),
        };
      } catch (error) {
        throw identityError(error, repo, sha, signal.aborted);
      }
    },
  };
};
