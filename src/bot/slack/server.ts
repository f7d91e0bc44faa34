import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ErrorCode, type HTTPReceiver } from '@slack/bolt';
import type { OpsRoutes } from '../../adapters/metrics/routes.js';
import type { Logger } from '../../engine/ports/logger.js';
import { BodyBudget, readBody } from './body.js';
import { slackAckWaits } from './call.js';
import { DEFAULT_HTTP_LIMITS, type HttpLimits, type Refusals, refusalLog } from './http-limits.js';

/** Slack's replay window, in both directions. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
/** An ssl_check body is tiny (`ssl_check=1&token=…`); nothing bigger is read without a timestamp. */
const SSL_CHECK_BODY_LIMIT = 1024;
/** What Slack sends: `v0=` and a hex HMAC-SHA256. */
const SIGNATURE = /^v0=[0-9a-f]{64}$/;

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

/** Whether `header` looks like a Slack signature at all (checked before any body is read). */
export const wellFormedSignature = (header: string | string[] | undefined): header is string =>
  typeof header === 'string' && SIGNATURE.test(header);

/** Slack's signature check over the raw bytes: HMAC-SHA256 of `v0:<timestamp>:<body>`. */
export const signatureMatches = (
  secret: string,
  timestamp: string,
  body: Buffer,
  header: string,
): boolean => {
  const expected = createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest();
  const given = Buffer.from(header.slice(3), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};

/**
 * How long a refused connection stays open, unread, before it is closed (nginx's
 * `lingering_timeout` is 5 s too): a busy client still pouring its body may take more than a
 * second to read the refusal, and the reset at close would throw the answer away unread.
 */
const LINGER_MS = 5_000;

/**
 * Closing a socket with unread bytes in it makes the kernel reset the connection, and a client
 * still sending may then lose the answer with it. So a refused connection is half-closed after the
 * answer, left unread (what the client still sends waits in the kernel, not in our memory) and
 * closed a moment later. Only while connections are plentiful: near the cap they close at once.
 */
const lingerOnClose = (socket: Socket | null) => {
  if (!socket) return;
  const lingering = socket as Socket & { destroySoon(): void; _paused?: boolean };
  // node calls destroySoon once a `connection: close` response is written.
  lingering.destroySoon = () => {
    // node's HTTP server resumes reading a socket unless its own `_paused` flag is set.
    lingering._paused = true;
    lingering.pause();
    lingering.end();
    setTimeout(() => lingering.destroy(), LINGER_MS).unref();
  };
};

const refuse = (res: ServerResponse, status: number, linger = false) => {
  // The body is not read (or not all of it), so the connection cannot be reused.
  res.writeHead(status, { connection: 'close', 'content-length': '0' });
  if (linger) lingerOnClose(res.socket);
  res.end();
};

export interface GatedServerOptions {
  /** Routes the endpoint path (set on the receiver) and answers 404 elsewhere. */
  receiver: HTTPReceiver;
  /** Signatures are checked here, as soon as the body is read, so Bolt never sees a forged one. */
  signingSecret: string;
  port: number;
  host: string;
  logger: Logger;
  limits?: Partial<HttpLimits>;
  now?: () => number;
  /** /metrics, /healthz and /readyz, answered before any Slack check (GET only). */
  ops?: OpsRoutes;
  /** Milliseconds from a signed request's arrival to the end of Bolt's answer (the ack). */
  onAck?: (ms: number) => void;
}

/** What composition hands the HTTP surface for operations: the routes and the ack timer. */
export type OpsHooks = Pick<GatedServerOptions, 'ops' | 'onAck'>;

/**
 * Our own HTTP server in front of Bolt's HTTPReceiver (whose `start` is not used). Before any body
 * is read it refuses requests without a current timestamp or a well-formed signature header, and
 * bodies declared bigger than Slack sends; it then reads the body itself, counting and within a
 * deadline, checks the signature, and hands Bolt the verified bytes. Bolt verifies again.
 */
export const startGatedServer = async (
  options: GatedServerOptions,
): Promise<{ server: Server; port: number }> => {
  const { receiver, logger, signingSecret } = options;
  const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const refusals: Refusals = refusalLog(logger, now);
  const budget = new BodyBudget(limits.maxBufferedBytes);
  /** Connections open now, counted here (server.getConnections is asynchronous). */
  let open = 0;

  const pass = (req: IncomingMessage, res: ServerResponse) => {
    try {
      receiver.requestListener(req, res);
    } catch (error) {
      // Bolt throws for paths it does not serve; anything else is a bug, never a crash.
      const unhandled = (error as { code?: string }).code === ErrorCode.HTTPReceiverDeferredRequestError;
      if (!unhandled) logger.error({ err: error, url: req.url }, 'slack request handler failed');
      if (!res.headersSent) refuse(res, unhandled ? 404 : 500);
    }
  };

  const refuseAs = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    kind: Parameters<Refusals['note']>[0],
    fields: Record<string, unknown> = {},
  ) => {
    refusals.note(kind, status, { url: req.url, remote: req.socket.remoteAddress, ...fields });
    refuse(res, status, !req.complete && open < limits.maxConnections / 2);
  };

  /**
   * Slack's SSL check is the one request it sends unsigned. It changes nothing here, so it is
   * answered directly; any other unsigned request is refused.
   */
  const answerSslCheckOrRefuse = async (req: IncomingMessage, res: ServerResponse) => {
    const length = Number(req.headers['content-length'] ?? 'NaN');
    if (
      req.headers['content-type'] !== 'application/x-www-form-urlencoded' ||
      !(length <= SSL_CHECK_BODY_LIMIT)
    ) {
      return refuseAs(req, res, 401, 'unsigned');
    }
    const read = await readBody(req, {
      maxBytes: SSL_CHECK_BODY_LIMIT,
      timeoutMs: limits.bodyTimeoutMs,
      budget,
    });
    if (read.kind === 'aborted') return;
    if (read.kind === 'timeout') return refuseAs(req, res, 408, 'body-timeout');
    const body = read.kind === 'ok' ? new URLSearchParams(read.body.toString('utf8')) : undefined;
    if (read.kind === 'ok') read.release();
    if (body?.get('ssl_check') !== '1') return refuseAs(req, res, 401, 'unsigned');
    res.writeHead(200);
    res.end();
  };

  const gate = async (req: IncomingMessage, res: ServerResponse, arrived: number) => {
    const timestamp = req.headers['x-slack-request-timestamp'];
    const signature = req.headers['x-slack-signature'];
    const verdict = judgeTimestamp(timestamp, now());
    if (verdict === 'missing' && signature === undefined) return answerSslCheckOrRefuse(req, res);
    if (verdict !== 'ok') return refuseAs(req, res, 401, 'bad-timestamp', { verdict });
    if (!wellFormedSignature(signature)) return refuseAs(req, res, 401, 'no-signature');
    const declared = req.headers['content-length'];
    if (declared !== undefined && !/^\d{1,15}$/.test(declared)) return refuseAs(req, res, 400, 'bad-length');
    if (declared !== undefined && Number(declared) > limits.maxBodyBytes) {
      return refuseAs(req, res, 413, 'too-large', { declared: Number(declared) });
    }
    const read = await readBody(req, {
      maxBytes: limits.maxBodyBytes,
      timeoutMs: limits.bodyTimeoutMs,
      budget,
    });
    if (read.kind === 'aborted') return;
    if (read.kind === 'too-large') return refuseAs(req, res, 413, 'too-large');
    if (read.kind === 'timeout') return refuseAs(req, res, 408, 'body-timeout');
    if (!signatureMatches(signingSecret, timestamp as string, read.body, signature)) {
      read.release();
      return refuseAs(req, res, 401, 'bad-signature');
    }
    res.once('close', read.release);
    // Work after acks waits while signed requests like this one wait for theirs (listeners.ts).
    // Counted only once verified: a slow or forged request must not hold everyone's answers.
    res.once('close', slackAckWaits.arrived());
    const { onAck } = options;
    if (onAck) res.once('finish', () => onAck(performance.now() - arrived));
    // Bolt uses a body already read instead of reading the (now drained) stream again.
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = read.body;
    pass(req, res);
  };

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often node checks those two timeouts (30 s by default).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, limits.headersTimeoutMs / 2)),
    },
    (req, res) => {
      const arrived = performance.now();
      // Operations endpoints answer GETs on their exact paths and refuse other methods there.
      if (options.ops?.handle(req, res)) return;
      // Every POST is gated, whatever its path: Bolt normalizes paths (`/slack/./events`), so a
      // gate that compared paths itself could be walked around.
      if (req.method?.toUpperCase() !== 'POST') return pass(req, res);
      gate(req, res, arrived).catch((error: unknown) => {
        logger.error({ err: error, url: req.url }, 'slack request gate failed');
        if (!res.headersSent) refuse(res, 500);
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.on('connection', (socket: Socket) => {
    open += 1;
    socket.once('close', () => {
      open -= 1;
    });
  });
  server.on('drop', (data?: { remoteAddress?: string }) =>
    refusals.note('too-many-connections', undefined, { remote: data?.remoteAddress }),
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const code = error.code ?? '';
    // The client went away (often mid-body, after our answer): nothing to say to it or about it.
    if (code === 'ECONNRESET' || code === 'HPE_INVALID_EOF_STATE') return void socket.destroy();
    const status = code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    refusals.note(status === 408 ? 'request-timeout' : 'bad-request', status, {
      code,
      remote: socket.remoteAddress,
    });
    // As node does without a listener: answer unless a response is already under way, then close.
    const inResponse = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inResponse?.headersSent) {
      const head = `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
      socket.end(head, () => socket.destroy());
    } else socket.destroy();
  });
  server.keepAliveTimeout = Math.min(server.keepAliveTimeout, limits.headersTimeoutMs);
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
