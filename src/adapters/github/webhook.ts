import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../engine/ports/logger.js';
import type { Store } from '../../engine/ports/store.js';
import { readWebhookEvent, type WebhookEvent } from './webhook-events.js';
import { signatureShape, verifySignature } from './webhook-signature.js';

/** Where GitHub is told to deliver (the repository's Settings → Webhooks → Payload URL). */
export const WEBHOOK_PATH = '/github/webhook';

export interface WebhookRouteOptions {
  /** GITHUB_WEBHOOK_SECRET. */
  secret: string;
  /** Delivery ids seen (`X-GitHub-Delivery` → when), each kept for `replayWindowMs`. */
  deliveries: Store<number>;
  replayWindowMs: number;
  /** Bodies over this are refused with 413, unread past it. */
  maxBytes: number;
  /** A body not fully sent within this is refused with 408 (default 10 s). */
  bodyTimeoutMs?: number;
  /** What a verified, new delivery asks for; runs after GitHub has its answer (it waits 10 s at most). */
  onEvent(event: WebhookEvent, delivery: string): Promise<void>;
  logger: Logger;
  now: () => number;
}

export interface WebhookRoute {
  /** Answers POST /github/webhook and returns true; false for any other path (untouched). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Resolves when every delivery accepted so far has been handled. */
  settled(): Promise<void>;
}

const DELIVERY = /^[0-9A-Za-z-]{1,64}$/;
const EVENT = /^[a-z_]{1,40}$/;

type Read = { kind: 'ok'; body: Buffer } | { kind: 'too-large' } | { kind: 'timeout' } | { kind: 'aborted' };

/** The body, counting as it comes: past `maxBytes` reading stops and nothing more is kept. */
const readBody = (req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Read> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (read: Read) => {
      clearTimeout(timer);
      req.removeAllListeners('data');
      req.pause();
      resolve(read);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return finish({ kind: 'too-large' });
      chunks.push(chunk);
    });
    req.once('end', () => finish({ kind: 'ok', body: Buffer.concat(chunks) }));
    req.once('aborted', () => finish({ kind: 'aborted' }));
    req.once('error', () => finish({ kind: 'aborted' }));
  });

const answer = (res: ServerResponse, status: number, text: string, close = false) => {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
};

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * POST /github/webhook: the signature's shape, the size and the headers are checked before the
 * body is read; the body is read within a cap and a deadline, its `X-Hub-Signature-256` verified
 * in constant time, and only then is the delivery id claimed (atomically, in the store shared by
 * every replica), so a forger can neither make the bot hold a big body nor burn real ids. Each
 * refusal is logged with its reason, the delivery id and the sender's address, never the body
 * or the signature.
 */
export const createWebhookRoute = (options: WebhookRouteOptions): WebhookRoute => {
  const { logger } = options;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 10_000;
  let chain: Promise<void> = Promise.resolve();

  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, why: string, text: string) => {
    logger.warn(
      {
        status,
        why,
        delivery: header(req, 'x-github-delivery')?.slice(0, 64),
        event: header(req, 'x-github-event')?.slice(0, 40),
        remote: req.socket.remoteAddress,
      },
      'github webhook refused',
    );
    // An unread body cannot be left on a connection that is reused.
    answer(res, status, `${text}\n`, !req.complete);
  };

  /** True the first time the id is seen within the window, on any replica. */
  const claim = async (delivery: string): Promise<boolean> => {
    let fresh = false;
    await options.deliveries.update(
      delivery,
      (seen) => {
        fresh = seen === undefined;
        return fresh ? options.now() : undefined;
      },
      options.replayWindowMs,
    );
    return fresh;
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const shape = signatureShape(req.headers['x-hub-signature-256']);
    if (shape === 'missing')
      return refuse(
        req,
        res,
        401,
        'unsigned',
        'unsigned: set a secret on the webhook (GITHUB_WEBHOOK_SECRET)',
      );
    if (shape !== 'ok')
      return refuse(req, res, 401, 'bad-signature', 'X-Hub-Signature-256 is not sha256=<hex>');
    const delivery = header(req, 'x-github-delivery');
    const event = header(req, 'x-github-event');
    if (!delivery || !DELIVERY.test(delivery) || !event || !EVENT.test(event))
      return refuse(
        req,
        res,
        400,
        'bad-headers',
        'X-GitHub-Delivery or X-GitHub-Event is missing or malformed',
      );
    if (!/^application\/json\b/i.test(header(req, 'content-type') ?? ''))
      return refuse(req, res, 415, 'content-type', 'set the webhook content type to application/json');
    const declared = header(req, 'content-length');
    if (declared !== undefined && !/^\d{1,15}$/.test(declared))
      return refuse(req, res, 400, 'bad-length', 'Content-Length is not a number');
    if (declared !== undefined && Number(declared) > options.maxBytes)
      return refuse(req, res, 413, 'too-large', `bodies over ${options.maxBytes} bytes are refused`);
    const read = await readBody(req, options.maxBytes, bodyTimeoutMs);
    if (read.kind === 'aborted') return;
    if (read.kind === 'too-large')
      return refuse(req, res, 413, 'too-large', `bodies over ${options.maxBytes} bytes are refused`);
    if (read.kind === 'timeout')
      return refuse(req, res, 408, 'body-timeout', 'the body did not arrive in time');
    if (verifySignature(options.secret, read.body, req.headers['x-hub-signature-256']) !== 'ok')
      return refuse(req, res, 401, 'bad-signature', 'the signature does not match the body and secret');
    let body: unknown;
    try {
      body = JSON.parse(read.body.toString('utf8'));
    } catch {
      return refuse(req, res, 400, 'bad-json', 'the body is not JSON');
    }
    if (!(await claim(delivery)))
      return refuse(req, res, 409, 'replayed', `delivery ${delivery} was handled already`);
    const parsed = readWebhookEvent(event, body);
    if (parsed.kind === 'invalid') return refuse(req, res, 400, 'bad-payload', parsed.why);
    const log = logger.child({ delivery, event });
    if (parsed.kind === 'ping') return answer(res, 200, 'pong\n');
    if (parsed.kind === 'ignored') {
      log.info({ why: parsed.why }, 'github webhook ignored');
      return answer(res, 202, `ignored: ${parsed.why}\n`);
    }
    answer(res, 202, 'accepted\n');
    log.info({}, 'github webhook accepted');
    chain = chain
      .then(() => options.onEvent(parsed, delivery))
      .catch((error: unknown) => log.warn({ err: error }, 'github webhook handling failed'));
  };

  return {
    handle(req, res) {
      const path = (req.url ?? '').split('?', 1)[0];
      if (path !== WEBHOOK_PATH) return false;
      if (req.method?.toUpperCase() !== 'POST') {
        answer(res, 405, 'POST only\n', true);
        return true;
      }
      serve(req, res).catch((error: unknown) => {
        logger.error({ err: error }, 'github webhook failed');
        if (!res.headersSent) answer(res, 500, 'failed; see the bot log\n', true);
      });
      return true;
    },
    settled: async () => {
      let seen: Promise<void> | undefined;
      while (seen !== chain) {
        seen = chain;
        await chain;
      }
    },
  };
};
