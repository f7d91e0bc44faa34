import { z } from 'zod';
import { bytes } from './builds-schema.js';
import { duration } from './fields.js';

/** Polling once webhooks tell the bot of pushes: a fallback for deliveries that were lost. */
export const WEBHOOK_POLL_EVERY = '10m';

/** The `github:` section of heckler.yml: the webhook the bot serves at POST /github/webhook. */
export const githubSchema = z
  .strictObject({
    webhook: z
      .strictObject({
        /**
         * Bodies over this are refused (413) unread. GitHub caps payloads at 25 MB; pushes and pull
         * requests are kilobytes, and a big cap is memory anyone can make the bot hold.
         */
        maxBytes: bytes(1024 ** 2),
        /** How long a delivery id is remembered: the same id again within it is a replay (409). */
        replayWindow: duration('24h'),
      })
      .prefault({}),
  })
  .prefault({});

export type GithubConfig = z.output<typeof githubSchema>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * With GITHUB_WEBHOOK_SECRET set, pushes arrive as webhooks and polling is the fallback: the
 * polls heckler.yml leaves at their default (repo.fetchEvery, builds.pollEvery) run every
 * WEBHOOK_POLL_EVERY instead of every minute. Values in the file always win.
 */
export const withWebhookPolling = (raw: unknown, webhookSecret: string | undefined): unknown => {
  if (!webhookSecret || !isRecord(raw)) return raw;
  const out: Record<string, unknown> = { ...raw };
  if (isRecord(raw.repo) && raw.repo.fetchEvery === undefined)
    out.repo = { ...raw.repo, fetchEvery: WEBHOOK_POLL_EVERY };
  const builds = raw.builds ?? {};
  if (isRecord(builds) && builds.pollEvery === undefined)
    out.builds = { ...builds, pollEvery: WEBHOOK_POLL_EVERY };
  return out;
};
