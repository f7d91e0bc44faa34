import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  githubSignature,
  signatureShape,
  verifySignature,
} from '../../../src/adapters/github/webhook-signature.js';

const SECRET = "It's a Secret to Everybody";
/** GitHub's own example (docs "Validating webhook deliveries"): this body, this secret, this header. */
const DOC_BODY = 'Hello, World!';
const DOC_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('X-Hub-Signature-256', () => {
  it("matches GitHub's documented example byte for byte", () => {
    expect(githubSignature(SECRET, DOC_BODY)).toBe(DOC_SIGNATURE);
    expect(verifySignature(SECRET, Buffer.from(DOC_BODY), DOC_SIGNATURE)).toBe('ok');
  });

  const body = Buffer.from('{"zen":"Keep it logically awesome."}');
  const good = `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`;
  it.each<[string, string | string[] | undefined, Buffer, string]>([
    ['the right signature', good, body, 'ok'],
    ['no header', undefined, body, 'missing'],
    ['an empty header', '', body, 'missing'],
    ['the old sha1 header form', `sha1=${'a'.repeat(40)}`, body, 'malformed'],
    ['upper-case hex', good.toUpperCase().replace('SHA256=', 'sha256='), body, 'malformed'],
    ['a short digest', good.slice(0, -2), body, 'malformed'],
    ['two headers', [good, good], body, 'malformed'],
    ['one flipped hex digit', `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`, body, 'mismatch'],
    ['a body with one byte more', good, Buffer.concat([body, Buffer.from(' ')]), 'mismatch'],
    ['another secret', githubSignature('other', body), body, 'mismatch'],
  ])('%s → %s', (_what, header, raw, verdict) => {
    expect(verifySignature('s3cret', raw, header)).toBe(verdict);
  });

  it('judges the shape alone before any body is read', () => {
    expect(signatureShape(good)).toBe('ok');
    expect(signatureShape('sha256=zz')).toBe('malformed');
    expect(signatureShape(undefined)).toBe('missing');
  });
});
