import { createHmac, timingSafeEqual } from 'node:crypto';

/** What GitHub sends in `X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw body. */
const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

export type SignatureVerdict = 'ok' | 'missing' | 'malformed' | 'mismatch';

/** Whether the header has the shape of a GitHub signature (checked before any body is read). */
export const signatureShape = (header: string | string[] | undefined): 'ok' | 'missing' | 'malformed' => {
  if (header === undefined || header === '') return 'missing';
  return typeof header === 'string' && SIGNATURE.test(header) ? 'ok' : 'malformed';
};

/** The header GitHub would send for `body` signed with `secret`. */
export const githubSignature = (secret: string, body: Buffer | string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * GitHub's check over the raw bytes, compared in constant time: a timing difference must not tell
 * a forger how many leading bytes of a guess were right.
 */
export const verifySignature = (
  secret: string,
  body: Buffer,
  header: string | string[] | undefined,
): SignatureVerdict => {
  const shape = signatureShape(header);
  if (shape !== 'ok') return shape;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from((header as string).slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'mismatch';
};
