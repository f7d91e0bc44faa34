import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A modal's `private_metadata` carries what its submission needs (the command it completes, who
 * opened it, where the click was). Slack echoes it back, but a submission is only as trustworthy as
 * its signature, and the metadata must not become a way to run a command nobody was shown: it is
 * signed here with a key derived from the bot token (which every replica has, in HTTP and in Socket
 * Mode alike) and refused when the signature does not match.
 */

export interface ModalMetadata {
  /** The form: an asking button's question, or the apply form. */
  form: 'ask' | 'apply';
  /** Who opened the modal; the submission must come from the same user. */
  user: string;
  /** ask: the command the answer completes. */
  command?: string;
  /** Where the request came from (the channel of the clicked message, or of the slash command). */
  channel?: string;
  /** ask: the message whose button was clicked. */
  ts?: string;
}

const SIGNATURE_HEX = 64;

/** The metadata key: never the token itself, so a leaked key gives nothing to call Slack with. */
export const metadataKey = (botToken: string): Buffer =>
  createHmac('sha256', botToken).update('heckler modal private_metadata v1').digest();

const mac = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest('hex');

export const signMetadata = (key: Buffer, metadata: ModalMetadata): string => {
  const body = Buffer.from(JSON.stringify(metadata)).toString('base64url');
  return `${body}.${mac(key, body)}`;
};

const isMetadata = (value: unknown): value is ModalMetadata => {
  const m = value as Partial<ModalMetadata> | null;
  if (m === null || typeof m !== 'object') return false;
  if (m.form !== 'ask' && m.form !== 'apply') return false;
  if (typeof m.user !== 'string') return false;
  return [m.command, m.channel, m.ts].every((field) => field === undefined || typeof field === 'string');
};

/** The metadata when its signature matches (compared in constant time), else undefined. */
export const verifyMetadata = (key: Buffer, signed: string | undefined): ModalMetadata | undefined => {
  const [body = '', signature = '', ...rest] = (signed ?? '').split('.');
  if (rest.length > 0 || body === '' || signature.length !== SIGNATURE_HEX) return undefined;
  const expected = Buffer.from(mac(key, body), 'hex');
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    return isMetadata(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
};
