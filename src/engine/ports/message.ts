import type { ChatFile } from './chat.js';

/**
 * A chat message as a neutral structure. Each chat surface (Slack Block Kit, the terminal) has
 * its own renderer; handlers and the engine only ever build these.
 *
 * The text of a header, section, context, field (label and value) and the fallback `text` is
 * Slack's escaped mrkdwn (src/engine/text/mrkdwn.ts): *bold*, _italic_, `code`; literal text with
 * `&`, `<` and `>` escaped (`escapeText`, for everything from git, nodes, builds and people); and
 * `<…>` tokens only from `mention` (`<@USERID>`) or `link`. The Slack renderer escapes any other
 * token; the terminal unescapes. A `code` block is the exception: raw literal text (a diff, a
 * log), escaped by each renderer as its surface needs.
 */
export type Block =
  | { kind: 'header'; text: string }
  | { kind: 'section'; text: string }
  | { kind: 'fields'; fields: Field[] }
  | { kind: 'code'; text: string }
  | { kind: 'context'; text: string }
  | { kind: 'divider' }
  | { kind: 'actions'; buttons: Button[] };

export interface Field {
  label: string;
  value: string;
}

/**
 * A button runs a command line exactly as if the clicking user had typed it, so clicks go through
 * the same parser and authorization as typed commands.
 */
export interface Button {
  label: string;
  command: string;
  style?: 'primary' | 'danger';
  /** "Are you sure?" before the command runs: for anything that changes production or decides a review. */
  confirm?: Confirm;
  /**
   * Asks the clicking user for a text (a deny's reason) before the command runs; the answer is
   * appended to `command` as its last argument, and the line goes through the parser as if typed.
   */
  ask?: Ask;
}

/** A yes/no question (Slack: a Block Kit `confirm` dialog; the shell: a y/N line). */
export interface Confirm {
  /** Plain text, short: "Apply v2.1?" */
  title: string;
  /** mrkdwn, like message text: what happens on yes. */
  text: string;
  /** The yes button: "Apply". */
  yes: string;
  /** The no button; "Cancel" when absent. */
  no?: string;
}

/** A question whose answer completes the command (Slack: a modal; the shell: the next line). */
export interface Ask {
  /** Plain text, short: "Deny 3f9c2e1". */
  title: string;
  /** Plain text: what to type, "Why deny it? The author reads this." */
  label: string;
  placeholder?: string;
  /** The submit button: "Deny". */
  submit: string;
}

export interface Message {
  /** Fallback text (notifications, screen readers, logs): mrkdwn like the blocks. */
  text: string;
  blocks: Block[];
  /**
   * Everything the blocks had no room for (a large review's full diff), as one plain-text file:
   * Slack attaches it in the message's thread, the terminal prints it below. Updating the message
   * attaches it again only when its content changed.
   */
  file?: ChatFile;
}

/** `text` is mrkdwn: escape what it quotes. */
export const message = (text: string, ...blocks: Block[]): Message => ({
  text,
  blocks: blocks.length > 0 ? blocks : [{ kind: 'section', text }],
});
