import { createThrottledMessage } from '../chat/throttled-message.js';
import type { Chat, Clock, Logger, Message } from '../ports/index.js';
import type { ApplyRecord, NodeResult, SkippedNode, StageRecord } from './records.js';

/** Something worth a reply in the apply's thread. */
export type ApplyEvent =
  | { kind: 'locked'; skipped: SkippedNode[] }
  | { kind: 'stage'; stage: StageRecord }
  | { kind: 'failure'; stage: StageRecord; result: NodeResult }
  | { kind: 'interrupted' };

/** How applies look in chat; the command layer's views implement it, so the engine builds no text. */
export interface ApplyViews {
  /** The one message of an apply: its plan until confirmed, then its progress (and how it ended). */
  status(record: ApplyRecord, now: number): Message;
  /** A reply in the message's thread. */
  event(record: ApplyRecord, event: ApplyEvent): Message;
  /** The final word, posted to the channel, with durations. */
  summary(record: ApplyRecord): Message;
}

export interface ApplyProgress {
  /** The record changed: edit the status message (at most once per `minUpdateMs`). */
  changed(): void;
  /** A thread reply, in order with the edits; the record is captured as it is now. */
  reply(event: ApplyEvent): void;
  /** Sends the final state of the message, then posts the summary to the channel. */
  finish(): Promise<void>;
}

export interface ApplyProgressOptions {
  chat: Chat;
  views: ApplyViews;
  clock: Clock;
  logger: Logger;
  /** Default 1 s: Slack rate-limits edits of one message. */
  minUpdateMs?: number;
  wait?: (ms: number) => Promise<void>;
}

/**
 * One apply's status message, edited in place as nodes start and end (the record is read when an
 * edit is sent, so a burst of changes is one edit), replies in its thread per stage and failure.
 */
export const createApplyProgress = (record: ApplyRecord, options: ApplyProgressOptions): ApplyProgress => {
  const { chat, views, clock, logger } = options;
  const message = createThrottledMessage({
    chat,
    clock,
    render: () => views.status(record, clock.now()),
    ...(record.message ? { ref: record.message } : {}),
    post: async (posted) => {
      const ref = await chat.post(record.channel, posted);
      record.message = ref;
      return ref;
    },
    ...(options.minUpdateMs === undefined ? {} : { minUpdateMs: options.minUpdateMs }),
    ...(options.wait === undefined ? {} : { wait: options.wait }),
    onError: (error) =>
      logger.warn({ err: error, apply: record.id }, 'could not show apply progress in chat'),
  });
  return {
    changed: () => message.changed(),
    reply(event) {
      const snapshot = structuredClone(record);
      message.queue((ref) => chat.reply(ref, views.event(snapshot, event)));
    },
    async finish() {
      message.changed();
      await message.settled();
      try {
        await chat.post(record.channel, views.summary(record));
      } catch (error) {
        logger.warn({ err: error, apply: record.id }, 'could not post the apply summary');
      }
    },
  };
};
