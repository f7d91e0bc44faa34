import { z } from 'zod';

/**
 * Where /metrics, /healthz and /readyz are served when no Slack HTTP server is (Socket Mode, the
 * shell). In Slack's HTTP mode they are on `slack.port` and `metrics.port` is not needed. Without
 * a port in those modes they are not served at all.
 */
export const metricsSchema = z
  .strictObject({
    /** 0 picks a free port (logged at start). */
    port: z.number().int().min(0).max(65535).optional(),
    /** Loopback by default: a scraper on another host needs `0.0.0.0` (or a proxy). */
    host: z.string().min(1).default('127.0.0.1'),
  })
  .prefault({});
