import type { CodeHost, CommitState } from '../ports/code-host.js';
import type { Logger } from '../ports/logger.js';
import { formatDuration } from '../text/duration.js';
import type { BuildRecord, BuildStatus } from './records.js';

export interface StatusReporterOptions {
  host: CodeHost;
  /** The host's `owner/repo` for a watched repository, or undefined when it is not on the host. */
  hostRepo(repo: string): Promise<string | undefined>;
  /** Where the status links to (the build's chat message), when there is one. */
  targetUrl?: (build: BuildRecord) => Promise<string | undefined>;
  /** The status's name (default `heckler/<pipeline>`). */
  context?: (build: BuildRecord) => string;
  logger: Logger;
}

const states: Record<BuildStatus, CommitState | undefined> = {
  queued: 'pending',
  running: 'pending',
  passed: 'success',
  failed: 'failure',
  timed_out: 'failure',
  cancelled: 'error',
  error: 'error',
  interrupted: 'error',
};

/** What the commit page says, in one line (GitHub cuts at 140 characters). */
export const statusDescription = (build: BuildRecord): string => {
  const took =
    build.startedAt && build.finishedAt ? ` in ${formatDuration(build.finishedAt - build.startedAt)}` : '';
  const failed = build.stages.find((stage) => stage.status === 'failed' || stage.status === 'timed_out');
  const text: Record<BuildStatus, string> = {
    queued: `build #${build.id} queued`,
    running: `build #${build.id} running`,
    passed: `build #${build.id} passed${took}`,
    failed: `build #${build.id} failed${failed ? ` at ${failed.key}` : ''}${took}`,
    timed_out: `build #${build.id} timed out${failed ? ` at ${failed.key}` : ''}`,
    cancelled: `build #${build.id} cancelled${build.killedBy ? ` by ${build.killedBy}` : ''}`,
    error: `build #${build.id} could not run: ${build.error ?? 'infrastructure error'}`,
    interrupted: `build #${build.id} interrupted by a restart${build.requeuedAs ? `; retried as #${build.requeuedAs}` : ''}`,
  };
  return text[build.status].slice(0, 140);
};

export interface StatusReporter {
  /** Takes a snapshot and posts in the background, in order: `pending` never lands after the result. */
  onStatus(build: BuildRecord): void;
  /** Resolves when every status asked for so far was posted (or failed and was logged). */
  settled(): Promise<void>;
}

/**
 * Commit statuses on the code host: pending when a build starts, its result when it ends. A
 * status that cannot be posted is logged and dropped; it never fails or delays the build.
 */
export const createStatusReporter = (options: StatusReporterOptions): StatusReporter => {
  let chain = Promise.resolve();
  const post = async (build: BuildRecord) => {
    const state = states[build.status];
    if (!state) return;
    const repo = await options.hostRepo(build.repo).catch(() => undefined);
    if (!repo) return;
    const targetUrl = await options.targetUrl?.(build).catch((error: unknown) => {
      options.logger.warn({ err: error, build: build.id }, 'could not link the commit status to its message');
      return undefined;
    });
    try {
      await options.host.setStatus(repo, build.sha, {
        state,
        context: options.context?.(build) ?? `heckler/${build.pipeline}`,
        description: statusDescription(build),
        ...(targetUrl ? { targetUrl } : {}),
      });
    } catch (error) {
      options.logger.warn({ err: error, build: build.id, repo, state }, 'could not post the commit status');
    }
  };
  return {
    onStatus: (build) => {
      const snapshot = structuredClone(build);
      chain = chain.then(() => post(snapshot));
    },
    settled: () => chain,
  };
};

/**
 * The web host of a GitHub API URL: `https://api.github.com` → `github.com`, a GitHub Enterprise
 * `https://ghe.example.com/api/v3` → `ghe.example.com`; undefined for what is not a URL.
 */
export const githubWebHost = (apiUrl: string): string | undefined => {
  try {
    const host = new URL(apiUrl).hostname.toLowerCase();
    return host === 'api.github.com' ? 'github.com' : host.replace(/^api\./, '') || undefined;
  } catch {
    return undefined;
  }
};

const escapeHost = (host: string) => host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `https://github.com/o/r(.git)`, `git@github.com:o/r.git`, `ssh://git@github.com/o/r` → `o/r`;
 * the same for the other web hosts given (a GitHub Enterprise host, from its `apiUrl`).
 */
export const githubRepoOf = (url: string, hosts: readonly string[] = ['github.com']): string | undefined => {
  for (const host of hosts) {
    const match = new RegExp(
      `^(?:[a-z+]+://)?(?:[^@/]+@)?${escapeHost(host)}(?::\\d+)?[:/]([\\w.-]+)/([\\w.-]+?)(?:\\.git)?/?$`,
      'i',
    ).exec(url);
    if (match) return `${match[1]}/${match[2]}`;
  }
  return undefined;
};
