import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../engine/ports/logger.js';

/** One thing the bot needs to do its work; `check` rejects when it cannot. */
export interface ReadinessCheck {
  /** Shown in /readyz: `store`, `mirror`, `chat`. */
  name: string;
  check(): Promise<void>;
}

export interface OpsRoutesOptions {
  /** The Prometheus text; absent: /metrics answers 404. */
  scrape?: () => Promise<{ contentType: string; body: string }>;
  readiness: readonly ReadinessCheck[];
  logger: Logger;
  /** A check that has not answered by then has failed (default 2 s). */
  checkTimeoutMs?: number;
}

export interface OpsRoutes {
  /** Answers /metrics, /healthz and /readyz and returns true; false for any other path (untouched). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

const PATHS = new Set(['/metrics', '/healthz', '/readyz']);

const answer = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
};

const within = async (ms: number, work: Promise<void>): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * The operations endpoints: GET (or HEAD) only, nothing read from the request but its path, small
 * answers that name what failed and never why in detail (errors go to the log: they may quote a
 * host or a URL). Concurrent scrapes and readiness probes share one run, so a flood of them costs
 * what one does.
 */
export const createOpsRoutes = (options: OpsRoutesOptions): OpsRoutes => {
  const { logger } = options;
  const timeoutMs = options.checkTimeoutMs ?? 2_000;
  let scraping: Promise<{ contentType: string; body: string }> | undefined;
  let probing: Promise<{ name: string; ok: boolean }[]> | undefined;

  const shared = <T>(
    current: Promise<T> | undefined,
    start: () => Promise<T>,
    set: (p?: Promise<T>) => void,
  ) => {
    if (current) return current;
    const running = start().finally(() => set(undefined));
    set(running);
    return running;
  };

  const probe = () =>
    Promise.all(
      options.readiness.map(async ({ name, check }) => {
        try {
          await within(timeoutMs, check());
          return { name, ok: true };
        } catch (error) {
          logger.warn({ err: error, check: name }, 'readiness check failed');
          return { name, ok: false };
        }
      }),
    );

  const serve = async (path: string, res: ServerResponse) => {
    if (path === '/healthz') return answer(res, 200, 'ok\n');
    if (path === '/readyz') {
      const results = await shared(probing, probe, (p) => {
        probing = p;
      });
      const failed = results.filter((r) => !r.ok).map((r) => r.name);
      const lines = results.map((r) => `${r.name}: ${r.ok ? 'ok' : 'failing'}`).join('\n');
      return failed.length === 0
        ? answer(res, 200, `ready\n${lines}\n`)
        : answer(res, 503, `not ready: ${failed.join(', ')}\n${lines}\n`);
    }
    if (!options.scrape) return answer(res, 404, 'metrics are not collected\n');
    const scrape = options.scrape;
    const { contentType, body } = await shared(scraping, scrape, (p) => {
      scraping = p;
    });
    return answer(res, 200, body, { 'content-type': contentType });
  };

  return {
    handle(req, res) {
      const path = (req.url ?? '').split('?', 1)[0] ?? '';
      if (!PATHS.has(path)) return false;
      const method = req.method?.toUpperCase();
      if (method !== 'GET' && method !== 'HEAD') {
        // The body, if any, is not read: the connection cannot be reused.
        answer(res, 405, 'GET only\n', { allow: 'GET, HEAD', connection: 'close' });
        return true;
      }
      serve(path, res).catch((error: unknown) => {
        logger.error({ err: error, path }, 'operations endpoint failed');
        if (!res.headersSent) answer(res, 500, 'failed; see the bot log\n');
      });
      return true;
    },
  };
};
