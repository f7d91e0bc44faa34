import type { BuildRecord } from '../builds/records.js';
import type { BuildProgress } from '../builds/runner.js';
import type { BuildService } from '../builds/service.js';
import { showMessage } from '../chat/show-message.js';
import { errorText, isHecklerError } from '../errors.js';
import type { CodeHost } from '../ports/code-host.js';
import type { Chat, Logger, Message, Store } from '../ports/index.js';
import type { ReviewRecord } from '../review/records.js';
import { reviewCommitStatus } from './review-status.js';
import { type CommitBuild, newestBuilds, type PipelineBuild, pipelineBuild, withBuild } from './rules.js';

/** How the gate's updates look in chat; the command layer's views implement it. */
export interface GateViews {
  /** The commit's review message as it stands (the same view the review service shows). */
  review(record: ReviewRecord): Message;
  /** A reply in the review's thread when its build failed at a stage: `tail`, the stage's last log lines. */
  failure(record: ReviewRecord, build: PipelineBuild, tail?: string): Message;
}

export interface BuildGateOptions {
  /** The Puppet repository's name among the watched build repositories. */
  repo: string;
  /** repo.build naming one pipeline; absent: every pipeline of the commit's ocelot.yml. */
  pipeline?: string;
  /** The review records (namespace `reviews`): the gate writes their `build`. */
  reviews: Store<ReviewRecord>;
  chat: Chat;
  /** Where review messages are (approvals.channel). */
  channel: string;
  views: GateViews;
  /** `heckler/review` commit statuses, when the Puppet repository is on a code host. */
  codeHost?: { host: CodeHost; repo: string };
  logger: Logger;
  /** Lines of a failed stage's log replied in the review's thread (default 20). */
  tailLines?: number;
}

/** What the gate needs of the CI half: it is composed after the reviews, so it is attached later. */
export type GateBuilds = Pick<BuildService, 'build' | 'list' | 'log'>;

export interface BuildGate {
  readonly repo: string;
  attach(builds: GateBuilds): void;
  /** A review was made or re-made: its build is queued when it has none, its `heckler/review` status posted. */
  reviewed(record: ReviewRecord): void;
  /** A decision was recorded: the `heckler/review` status follows. */
  decided(record: ReviewRecord): void;
  /** Told of every build (the build service's observer); only the Puppet repository's count. */
  readonly observer: Required<BuildProgress>;
  /** The commit's build as the build records say now (the plan's facts); undefined: never queued. */
  facts(sha: string): Promise<CommitBuild | undefined>;
  /** Resolves when every update asked for so far is done. */
  settled(): Promise<void>;
}

/** Errors that mean "nothing to build here", not "could not build". */
const nothingToBuild = (error: unknown) =>
  isHecklerError(error, 'NOT_FOUND') ||
  isHecklerError(error, 'PIPELINE_INVALID') ||
  isHecklerError(error, 'USAGE');

/**
 * Joins the two halves (issue 12): every reviewed commit of the Puppet repository is built from
 * its own ocelot.yml, and the build is written to the review as it moves (re-showing the message,
 * the last log lines of a failed stage in its thread). Work runs in the background, in order; a
 * failure is logged and never fails the review or the build.
 */
export const createBuildGate = (options: BuildGateOptions): BuildGate => {
  const { reviews, chat, views, logger, repo } = options;
  const tailLines = options.tailLines ?? 20;
  let builds: GateBuilds | undefined;
  let chain: Promise<void> = Promise.resolve();

  const later = (what: string, work: () => Promise<void>) => {
    chain = chain
      .then(work)
      .catch((error: unknown) => logger.warn({ err: error }, `build gate: ${what} failed`));
  };

  const postStatus = async (record: ReviewRecord) => {
    const host = options.codeHost;
    if (!host) return;
    try {
      await host.host.setStatus(host.repo, record.sha, reviewCommitStatus(record));
    } catch (error) {
      logger.warn({ err: error, sha: record.sha }, 'could not post the heckler/review commit status');
    }
  };

  /** Stores the commit's build and re-shows its message when it changed; undefined when not reviewed. */
  const store = async (sha: string, change: (build: CommitBuild | undefined) => CommitBuild) => {
    let changed = false;
    const stored = await reviews.update(sha, (latest) => {
      changed = false;
      if (!latest) return undefined;
      const build = change(latest.build);
      if (JSON.stringify(build) === JSON.stringify(latest.build)) return undefined;
      changed = true;
      return { ...latest, build };
    });
    if (stored && changed && stored.message)
      await showMessage(chat, stored, options.channel, views.review(stored), {
        logger,
        context: { sha },
        what: 'the review message',
      });
    return changed ? stored : undefined;
  };

  const replyFailure = async (record: ReviewRecord, build: PipelineBuild) => {
    if (!record.message || !builds) return;
    const text =
      build.failedAt === undefined
        ? undefined
        : await builds.log(build.id, build.failedAt).then(
            (log) => log.text,
            () => undefined,
          );
    const tail = text?.trim() ? text.replace(/\n$/, '').split('\n').slice(-tailLines).join('\n') : undefined;
    await chat.reply(record.message, views.failure(record, build, tail));
  };

  const onBuild = (record: BuildRecord) => {
    if (record.repo !== repo) return;
    if (options.pipeline !== undefined && record.pipeline !== options.pipeline) return;
    const build = pipelineBuild(record);
    later('showing a build on its review', async () => {
      const stored = await store(record.sha, (current) => withBuild(current, build));
      if (stored && ['failed', 'timed_out'].includes(build.status)) await replyFailure(stored, build);
    });
  };

  const facts = async (sha: string) => {
    const found = await builds?.list({ repo, limit: Number.MAX_SAFE_INTEGER });
    const mine = (found ?? []).filter(
      (b) => b.sha === sha && (options.pipeline === undefined || b.pipeline === options.pipeline),
    );
    // No build record: what the review was told when it could not queue one (no ocelot.yml…).
    return newestBuilds(mine) ?? (await reviews.get(sha))?.build;
  };

  return {
    repo,
    attach: (service) => {
      builds = service;
    },
    reviewed: (record) => {
      later('building a reviewed commit', async () => {
        await postStatus(record);
        // A build that could not be queued (the mirror could not fetch) is tried again at the next review.
        if ((record.build && record.build.kind !== 'not_built') || !builds) return;
        const known = await facts(record.sha);
        if (known) {
          await store(record.sha, () => known);
          return;
        }
        try {
          const only = options.pipeline === undefined ? {} : { pipeline: options.pipeline };
          await builds.build(repo, record.sha, 'heckler', only);
        } catch (error) {
          const why = errorText(error);
          if (!nothingToBuild(error))
            logger.warn({ err: error, sha: record.sha }, 'could not queue the build of a reviewed commit');
          await store(record.sha, () => ({ kind: nothingToBuild(error) ? 'none' : 'not_built', why }));
        }
      });
    },
    decided: (record) => later('posting the review status', () => postStatus(record)),
    observer: {
      onStatus: onBuild,
      onStageFinished: (record) => onBuild(record),
    },
    facts,
    settled: async () => {
      // Work queued while waiting is waited for too.
      let seen: Promise<void> | undefined;
      while (seen !== chain) {
        seen = chain;
        await chain;
      }
    },
  };
};
