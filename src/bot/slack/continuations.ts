import { createHash } from 'node:crypto';
import type { ChatFile, MessageRef } from '../../engine/ports/chat.js';
import type { SlackMessagePart } from '../render/blocks.js';

/** One thread reply carrying what did not fit in a message, and a digest of what it shows. */
export interface Continuation {
  ref: MessageRef;
  digest: string;
}

/** Where a message's continuations go, and those posted so far, in order. */
export interface Continued {
  /** The thread they are in: the message's own ts, or its thread's when the message is a reply. */
  threadTs: string;
  parts: Continuation[];
}

/** The file a message carried last (its content's digest), and whether it is in the thread. */
export interface Attached {
  digest: string;
  attached: boolean;
}

export const digestOf = (part: SlackMessagePart): string =>
  createHash('sha256').update(JSON.stringify(part)).digest('base64');

/** A file is the same file when its content is: a new title alone attaches nothing new. */
export const fileDigestOf = (file: ChatFile): string =>
  createHash('sha256').update(file.content).digest('base64url').slice(0, 32);

const keyOf = (ref: MessageRef) => `${ref.channel}/${ref.ts}`;

/**
 * What this process knows of the messages it posted, so that updating a message edits its
 * continuations instead of posting them again, and attaches its file only when the file changed.
 * Kept in memory only, for the `limit` most recently used messages: after a restart (or for an
 * older message) an update posts its continuations anew (files: see SlackChat's `claimOnce`).
 */
export class MessageMemory<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly limit = 1000) {}

  get(ref: MessageRef): T | undefined {
    const key = keyOf(ref);
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(ref: MessageRef, entry: T): void {
    const key = keyOf(ref);
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limit) break;
      this.entries.delete(oldest);
    }
  }
}

/** The continuation messages of the messages this process posted. */
export class ContinuationMemory extends MessageMemory<Continued> {}
