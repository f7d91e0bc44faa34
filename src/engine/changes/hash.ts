import { createHash, hash } from 'node:crypto';
import { canonicalChange } from '../delta/change-key.js';
import type { ResourceChange } from '../puppet/types.js';

/**
 * A change's address in the change store: the first 12 bytes of `changeHash` (sha256 of the
 * canonical change, file and line left out) as base64url, exactly 16 characters. 96 bits keep the
 * odds of two distinct changes sharing one below 10⁻¹⁴ for ten million of them, and a fixed width
 * lets a node's list of changes be one string read by offset, not a JSON array of 64-hex strings.
 */
export const KEY_CHARS = 16;
const KEY_BYTES = 12;

/** A change's identity, hashed once: its store key and the full hex hash groups are known by. */
export interface ChangeId {
  key: string;
  /** `changeHash` of the change (64 hex digits). */
  hash: string;
}

const digest: (text: string) => Buffer =
  typeof hash === 'function'
    ? (text) => hash('sha256', text, 'buffer')
    : (text) => createHash('sha256').update(text).digest();

/** One sha256 per change gives both the key and the full hash. */
export const changeId = (resource: ResourceChange | ChangeBody): ChangeId => {
  const bytes = digest(canonicalChange(resource as ResourceChange));
  return { key: bytes.toString('base64url', 0, KEY_BYTES), hash: bytes.toString('hex') };
};

/** What is stored once per distinct change: everything but where it is declared. */
export type ChangeBody = Omit<ResourceChange, 'file' | 'line'>;

/** The record kept under a change's key. */
export interface StoredChange {
  hash: string;
  change: ChangeBody;
}

/** The change without file and line (they live in each node's record, not in the shared body). */
export const bodyOf = (resource: ResourceChange): ChangeBody => {
  if (resource.file === undefined && resource.line === undefined) return resource;
  const { file: _, line: __, ...body } = resource;
  return body;
};
