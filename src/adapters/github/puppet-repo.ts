import { GITHUB_API_URL } from '../../config/builds-schema.js';
import { puppetGithubRepo, type RepoConfig } from '../../config/fleet-schema.js';
import type { CodeHost } from '../../engine/ports/code-host.js';
import type { Logger } from '../../engine/ports/logger.js';
import { createGitHubCodeHost } from './code-host.js';

export interface PuppetRepoGitHub {
  host: CodeHost;
  /** The Puppet repository's `owner/name` on GitHub: what `host` is asked about. */
  repo: string;
}

export interface PuppetRepoGitHubOptions {
  /** `config.repo`. */
  repo: Pick<RepoConfig, 'url' | 'github'>;
  /** `config.secrets.githubToken` (GITHUB_TOKEN). */
  token: string | undefined;
  logger: Logger;
  timeoutMs?: number;
}

/**
 * GitHub for the Puppet repository, or undefined when Heckler cannot ask it: the repository is
 * not known to be on GitHub (no `repo.github` and a `repo.url` that is not github.com), or there
 * is no token. Asked-for-but-unusable (repo.github without GITHUB_TOKEN) is logged once here, so
 * an operator who expected verified approvals learns why there are none.
 */
export const githubForPuppetRepo = (options: PuppetRepoGitHubOptions): PuppetRepoGitHub | undefined => {
  const { repo, token, logger } = options;
  const name = puppetGithubRepo(repo);
  if (!name) return undefined;
  if (!token) {
    if (repo.github)
      logger.warn(
        { repo: name },
        'repo.github is set but GITHUB_TOKEN is not: GitHub will not be asked about commits',
      );
    return undefined;
  }
  const host = createGitHubCodeHost({
    token,
    apiUrl: repo.github?.apiUrl ?? GITHUB_API_URL,
    logger,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return { host, repo: name };
};
