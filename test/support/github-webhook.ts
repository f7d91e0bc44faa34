import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { githubSignature } from '../../src/adapters/github/webhook-signature.js';

export interface Delivery {
  status: number;
  text: string;
}

/**
 * POSTs a webhook delivery as GitHub sends it: JSON body, `X-GitHub-Event`, a fresh
 * `X-GitHub-Delivery` GUID and `X-Hub-Signature-256: sha256=<hex HMAC of the raw body>`.
 * `headers` replaces or (with undefined) drops any of them.
 */
export const deliver = async (
  url: string,
  event: string,
  payload: unknown,
  options: { secret?: string; headers?: Record<string, string | undefined>; raw?: Buffer } = {},
): Promise<Delivery> => {
  const body = options.raw ?? Buffer.from(JSON.stringify(payload));
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/0b1d2e3',
    'x-github-event': event,
    'x-github-delivery': randomUUID(),
    'x-github-hook-id': '123456',
    ...(options.secret ? { 'x-hub-signature-256': githubSignature(options.secret, body) } : {}),
    ...options.headers,
  };
  const response = await fetch(url, {
    method: 'POST',
    headers: Object.fromEntries(
      Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    body,
  });
  return { status: response.status, text: await response.text() };
};

/** A body streamed in chunks without a Content-Length, until the server answers or `total` is sent. */
export const streamBody = (
  url: string,
  headers: Record<string, string>,
  chunk: Buffer,
  total: number,
): Promise<{ status: number; sent: number }> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    let sent = 0;
    let answered = false;
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers },
      (res) => {
        answered = true;
        res.resume();
        resolve({ status: res.statusCode ?? 0, sent });
      },
    );
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
