import { z } from 'zod';

/**
 * Where /metrics, /healthz and /readyz are served. Unset: in Slack's HTTP mode on `slack.port`
 * (beside the Slack path), in Socket Mode and the shell not at all. Set: there only, in every mode
 * (so a public Slack endpoint need not show them).
 */
export const metricsSchema = z
  .strictObject({
    /** 0 picks a free port (logged at start). */
    port: z.number().int().min(0).max(65535).optional(),
    /** Loopback by default: a scraper on another host needs `0.0.0.0` (or a proxy). */
    host: z.string().min(1).default('127.0.0.1'),
  })
  .prefault({});
