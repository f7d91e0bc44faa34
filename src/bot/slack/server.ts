import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, type HTTPReceiver } from '@slack/bolt';
import type { Logger } from '../../engine/ports/logger.js';

/** Slack's replay window, in both directions. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
/** An ssl_check body is tiny (`ssl_check=1&token=…`); nothing bigger is read without a timestamp. */
const SSL_CHECK_BODY_LIMIT = 1024;

export type TimestampVerdict = 'ok' | 'missing' | 'malformed' | 'future' | 'stale';

/**
 * Bolt refuses stale timestamps and bad signatures, but accepts any timestamp in the future: a
 * request signed with a clock far ahead could be replayed until that time. This closes the window.
 */
export const judgeTimestamp = (header: string | string[] | undefined, nowMs: number): TimestampVerdict => {
  if (header === undefined) return 'missing';
  if (Array.isArray(header) || !/^\d{1,12}$/.test(header)) return 'malformed';
  const skew = Number(header) - Math.floor(nowMs / 1000);
  if (skew > MAX_CLOCK_SKEW_SECONDS) return 'future';
  if (skew < -MAX_CLOCK_SKEW_SECONDS) return 'stale';
  return 'ok';
};

const refuse = (res: ServerResponse, status: number) => {
  // The body is never read, so the connection cannot be reused.
  res.writeHead(status, { connection: 'close' });
  res.end();
};

/**
 * Slack's SSL check is the one request it sends unsigned. It changes nothing here, so it is
 * answered directly; any other unsigned request is refused.
 */
const answerSslCheckOrRefuse = (req: IncomingMessage, res: ServerResponse) => {
  const length = Number(req.headers['content-length'] ?? 'NaN');
  if (
    req.headers['content-type'] !== 'application/x-www-form-urlencoded' ||
    !(length <= SSL_CHECK_BODY_LIMIT)
  ) {
    refuse(res, 401);
    return;
  }
  const parts: Buffer[] = [];
  let size = 0;
  req.on('data', (part: Buffer) => {
    size += part.length;
    if (size <= SSL_CHECK_BODY_LIMIT) parts.push(part);
  });
  req.on('error', () => refuse(res, 400));
  req.on('end', () => {
    const body = new URLSearchParams(Buffer.concat(parts).toString('utf8'));
    if (size <= SSL_CHECK_BODY_LIMIT && body.get('ssl_check') === '1') {
      res.writeHead(200);
      res.end();
    } else refuse(res, 401);
  });
};

export interface GatedServerOptions {
  /** Routes the endpoint path (set on the receiver) and answers 404 elsewhere. */
  receiver: HTTPReceiver;
  port: number;
  host: string;
  logger: Logger;
  now?: () => number;
}

/**
 * Our own HTTP server in front of Bolt's HTTPReceiver (whose `start` is not used): it refuses
 * requests without a usable, current timestamp before any body is read, then lets Bolt verify
 * the signature and route the request.
 */
export const startGatedServer = async (
  options: GatedServerOptions,
): Promise<{ server: Server; port: number }> => {
  const { receiver, logger } = options;
  const now = options.now ?? Date.now;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // Every POST is gated, whatever its path: Bolt normalizes paths (`/slack/./events`), so a
    // gate that compared paths itself could be walked around.
    if (req.method?.toUpperCase() === 'POST') {
      const verdict = judgeTimestamp(req.headers['x-slack-request-timestamp'], now());
      if (verdict === 'missing' && req.headers['x-slack-signature'] === undefined) {
        answerSslCheckOrRefuse(req, res);
        return;
      }
      if (verdict !== 'ok') {
        logger.warn({ verdict, url: req.url }, 'refused slack request: bad timestamp');
        refuse(res, 401);
        return;
      }
    }
    receiver.requestListener(req, res);
  };
  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      // Bolt throws for paths it does not serve; anything else is a bug, never a crash.
      const unhandled = (error as { code?: string }).code === ErrorCode.HTTPReceiverDeferredRequestError;
      if (!unhandled) logger.error({ err: error, url: req.url }, 'slack request handler failed');
      if (!res.headersSent) refuse(res, unhandled ? 404 : 500);
    }
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ err: error }, 'slack http server error'));
  return { server, port: (server.address() as AddressInfo).port };
};

export const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
