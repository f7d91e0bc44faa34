import { Octokit } from '@octokit/rest';
import type { CodeHost } from '../../engine/ports/code-host.js';
import type { Logger } from '../../engine/ports/logger.js';

export interface GitHubOptions {
  /** GITHUB_TOKEN: sent as `Authorization: token …`. */
  token: string;
  /** `https://api.github.com`, a GitHub Enterprise `/api/v3` URL, or a test fake. */
  apiUrl: string;
  logger: Logger;
  /** Per request; a status is not worth holding a build's bookkeeping for longer. */
  timeoutMs?: number;
}

/** GitHub's own limit on a status description. */
const MAX_DESCRIPTION = 140;

/** The CodeHost port over octokit: commit statuses. */
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
  return {
    setStatus: async (repo, sha, status) => {
      const [owner = '', name = ''] = repo.split('/');
      await octokit.rest.repos.createCommitStatus({
        owner,
        repo: name,
        sha,
        state: status.state,
        context: status.context,
        description: status.description.slice(0, MAX_DESCRIPTION),
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
        request: { signal: AbortSignal.timeout(timeoutMs) },
      });
    },
  };
};
