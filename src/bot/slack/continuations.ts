import { createHash } from 'node:crypto';
import type { MessageRef } from '../../engine/ports/chat.js';
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

export const digestOf = (part: SlackMessagePart): string =>
  createHash('sha256').update(JSON.stringify(part)).digest('base64');

const keyOf = (ref: MessageRef) => `${ref.channel}/${ref.ts}`;

/**
 * The continuation messages of the messages this process posted, so that updating a message edits
 * them instead of posting them again. Kept in memory only, for the `limit` most recently used
 * messages: after a restart (or for an older message) an update posts its continuations anew.
 */
export class ContinuationMemory {
  private readonly entries = new Map<string, Continued>();

  constructor(private readonly limit = 1000) {}

  get(ref: MessageRef): Continued | undefined {
    const key = keyOf(ref);
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(ref: MessageRef, entry: Continued): void {
    const key = keyOf(ref);
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limit) break;
      this.entries.delete(oldest);
    }
  }
}
