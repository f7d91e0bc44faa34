import type { Logger } from '../../engine/ports/logger.js';

/**
 * What our HTTP server in front of Bolt accepts. Slack's requests are small and arrive at once;
 * these bound what anyone else can make the bot hold.
 */
export interface HttpLimits {
  /**
   * Largest body read. The largest payload we handle is a button click, which Slack sends with the
   * whole message the button is on. Measured with Slack's payload shape: ~28 KB for a message full
   * to today's 12,000-character budget (~75 KB if every character were an emoji or a quote), ~10 KB
   * for a click in the home tab; a 50-section diff posted by a version without that budget: ~340 KB,
   * whose buttons are then refused (run the command instead). Bigger bodies get 413, unread when
   * Content-Length says so, else once counted (chunked).
   */
  maxBodyBytes: number;
  /** All bodies being read at once hold at most this much; readers past it wait (TCP pushes back). */
  maxBufferedBytes: number;
  /** The headers must be complete within this long (node answers 408 after). */
  headersTimeoutMs: number;
  /** A body must be complete within this long of its headers (408 after): slowloris. */
  bodyTimeoutMs: number;
  /** The whole request, headers and body, within this long (node's own backstop). */
  requestTimeoutMs: number;
  /** Connections open at once; more are closed as they arrive. */
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxBodyBytes: 256 * 1024,
  maxBufferedBytes: 4 * 1024 * 1024,
  headersTimeoutMs: 5_000,
  bodyTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  maxConnections: 512,
};

/** Why a request was refused; each is logged once per window whatever the number of requests. */
export type RefusalKind =
  | 'unsigned'
  | 'no-signature'
  | 'bad-timestamp'
  | 'bad-signature'
  | 'bad-length'
  | 'too-large'
  | 'body-timeout'
  | 'request-timeout'
  | 'bad-request'
  | 'too-many-connections';

const REASONS: Record<RefusalKind, string> = {
  unsigned: 'unsigned and not an ssl_check',
  'no-signature': 'no well-formed signature header',
  'bad-timestamp': 'bad timestamp',
  'bad-signature': 'signature does not match',
  'bad-length': 'malformed Content-Length',
  'too-large': 'body over the limit',
  'body-timeout': 'body not complete in time',
  'request-timeout': 'headers (or the whole request) not complete in time',
  'bad-request': 'malformed HTTP',
  'too-many-connections': 'too many connections',
};

export interface Refusals {
  /** Logs the first refusal of a kind in each window; later ones are counted into the next line. */
  note(kind: RefusalKind, status: number | undefined, fields?: Record<string, unknown>): void;
}

/**
 * A hostile client can send thousands of bad requests a second: each kind of refusal is logged
 * once per `windowMs`, the next line saying how many were not logged. Never the body.
 */
export const refusalLog = (logger: Logger, now: () => number, windowMs = 60_000): Refusals => {
  const seen = new Map<string, { since: number; suppressed: number }>();
  return {
    note(kind, status, fields = {}) {
      const key = `${kind}:${String(fields.verdict ?? '')}`;
      const at = now();
      const last = seen.get(key);
      if (last && at - last.since < windowMs) {
        last.suppressed += 1;
        return;
      }
      seen.set(key, { since: at, suppressed: 0 });
      const suppressed = last?.suppressed ? { suppressed: last.suppressed } : {};
      logger.warn({ kind, status, ...fields, ...suppressed }, `refused slack request: ${REASONS[kind]}`);
    },
  };
};
