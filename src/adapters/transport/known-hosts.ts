import { createHash, createHmac } from 'node:crypto';

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  /** `@revoked` keys are refused outright; `@cert-authority` lines are not used (no certificates here). */
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: `a,b,[c]:2222`, wildcards, negations, or one hashed `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  /** Base64 of the key blob, as in the file. */
  key: string;
  /** 1-based, for messages that tell the user which line to remove. */
  line: number;
}

/** Reads every entry; malformed lines are skipped, as OpenSSH does. */
export const parseKnownHosts = (text: string): KnownHostEntry[] => {
  const entries: KnownHostEntry[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const name = fields.shift()?.slice(1);
      if (name !== 'revoked' && name !== 'cert-authority') continue;
      marker = name;
    }
    const [hosts, keyType, key] = fields;
    if (hosts === undefined || keyType === undefined || key === undefined) continue;
    entries.push({ ...(marker && { marker }), hosts, keyType, key, line: index + 1 });
  }
  return entries;
};

/** How known_hosts names a host: plain on port 22, `[host]:port` on any other (OpenSSH's rule). */
export const hostKeyName = (host: string, port: number): string =>
  port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;

/** Whether an entry's host field covers `name` (as built by `hostKeyName`). */
export const matchesHost = (hosts: string, name: string): boolean => {
  if (hosts.startsWith('|1|')) return matchesHashed(hosts, name);
  let matched = false;
  for (const pattern of hosts.toLowerCase().split(',')) {
    const negated = pattern.startsWith('!');
    if (!wildcard(negated ? pattern.slice(1) : pattern).test(name)) continue;
    if (negated) return false; // a negated match wins over every positive one
    matched = true;
  }
  return matched;
};

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`: HashKnownHosts hides names, so hash ours and compare. */
const matchesHashed = (hosts: string, name: string): boolean => {
  const [, , salt, hash] = hosts.split('|');
  if (!salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
};

// known_hosts patterns know only `*` and `?`; brackets in `[host]:port` are literal.
const wildcard = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .replace(/[\\^$.|+(){}[\]]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  );

/** The SSH wire-format key blob: its type name comes first, as a length-prefixed string. */
export const keyType = (blob: Buffer): string => {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return length > 0 && length < 64 && blob.length >= 4 + length
    ? blob.toString('latin1', 4, 4 + length)
    : 'unknown';
};

/** `SHA256:…` exactly as `ssh-keygen -lf` and `ssh` print it. */
export const fingerprint = (blob: Buffer): string =>
  `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;

export const fingerprintOf = (base64: string): string => fingerprint(Buffer.from(base64, 'base64'));

/** The line accept-new appends: same shape as `ssh-keyscan -p PORT host` prints. */
export const knownHostsLine = (host: string, port: number, blob: Buffer): string =>
  `${hostKeyName(host, port)} ${keyType(blob)} ${blob.toString('base64')}`;
