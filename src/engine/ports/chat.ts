import type { Message } from './message.js';

/** Where a posted message lives, so it can be updated or replied to later. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/** A file for people to read or download (a build log): Slack uploads it, the terminal prints it. */
export interface ChatFile {
  filename: string;
  title: string;
  content: string;
  /** Said with the file: chat text (escaped mrkdwn, src/engine/text/mrkdwn.ts). */
  comment?: string;
}

/** The engine's only way to talk to people. Slack and the terminal implement it. */
export interface Chat {
  post(channel: string, message: Message): Promise<MessageRef>;
  update(ref: MessageRef, message: Message): Promise<void>;
  reply(thread: MessageRef, message: Message): Promise<MessageRef>;
  /** A message only `user` sees (Slack: ephemeral). */
  whisper(channel: string, user: string, message: Message): Promise<void>;
  /**
   * A private message to `user` outside any channel (Slack: the app's direct-message conversation
   * with them); it stays, unlike a whisper, and can be replied to in its thread.
   */
  direct(user: string, message: Message): Promise<MessageRef>;
  /** Shares a file in the channel (or in a message's thread). */
  upload(channel: string, file: ChatFile, thread?: MessageRef): Promise<void>;
  /** A link people can follow to a posted message (Slack: its permalink); absent where there is none. */
  permalink?(ref: MessageRef): Promise<string | undefined>;
  /** Shows `user` their own page, replacing what it showed (Slack: the App Home tab); absent where there is none. */
  home?(user: string, message: Message): Promise<void>;
}
