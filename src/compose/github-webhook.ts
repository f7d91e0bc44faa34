import { createWebhookRoute, type WebhookRoute } from '../adapters/github/webhook.js';
import type { WebhookEvent } from '../adapters/github/webhook-events.js';
import { puppetGithubRepo } from '../config/fleet-schema.js';
import type { Config } from '../config/schema.js';
import type { Clock, Logger } from '../engine/ports/index.js';
import type { Storage } from '../storage/keyv.js';
import type { ComposedBuilds } from './builds.js';
import type { ComposedFleet } from './fleet.js';

/**
 * What a verified delivery starts: a push to the Puppet repository's tracked branch polls it at
 * once (fetch, then a review of each new commit); a push to a watched repository polls that one
 * (fetch, then its builds); a pull request builds its head. Pushes carry no instructions the bot
 * follows: it fetches and looks for itself, so a replayed push changes nothing.
 */
const handler =
  (config: Config, parts: { fleet?: ComposedFleet; builds?: ComposedBuilds }, logger: Logger) =>
  async (event: WebhookEvent): Promise<void> => {
    if (event.kind === 'pull_request') {
      const reports = (await parts.builds?.service.pullRequest(event.pr)) ?? [];
      logger.info({ pr: event.pr.number, repo: event.pr.repo, reports }, 'pull request handled');
      return;
    }
    if (event.kind !== 'push') return;
    const puppet = config.repo ? puppetGithubRepo(config.repo) : undefined;
    const same = (a: string | undefined) => a?.toLowerCase() === event.repo.toLowerCase();
    if (parts.fleet && config.repo && same(puppet)) {
      if (event.ref !== `refs/heads/${config.repo.branch}`) return;
      const reviewed = await parts.fleet.reviews.pollNewCommits(config.approvals.backfill);
      logger.info({ repo: event.repo, reviewed: reviewed.map((r) => r.shortSha) }, 'push reviewed');
      return;
    }
    const reports = (await parts.builds?.service.pushed(event.repo)) ?? [];
    logger.info({ repo: event.repo, built: reports.flatMap((r) => r.built) }, 'push polled');
  };

/**
 * POST /github/webhook, when GITHUB_WEBHOOK_SECRET is set (undefined otherwise: the path is then
 * answered like any unknown one). Delivery ids live in the store namespace `github-deliveries`.
 */
export const composeWebhook = (options: {
  config: Config;
  storage: Storage;
  logger: Logger;
  clock: Clock;
  fleet?: ComposedFleet;
  builds?: ComposedBuilds;
}): WebhookRoute | undefined => {
  const { config } = options;
  const secret = config.secrets.githubWebhookSecret;
  if (!secret) return undefined;
  const logger = options.logger.child({ part: 'github-webhook' });
  const { webhook } = config.github;
  return createWebhookRoute({
    secret,
    deliveries: options.storage.store<number>('github-deliveries'),
    replayWindowMs: webhook.replayWindow,
    maxBytes: webhook.maxBytes,
    onEvent: handler(config, options, logger),
    logger,
    now: () => options.clock.now(),
  });
};
