/**
 * A chat message as a neutral structure. Each chat surface (Slack Block Kit, the terminal) has
 * its own renderer; handlers and the engine only ever build these.
 *
 * Text uses a small mrkdwn subset that every renderer understands: *bold*, _italic_, `code`,
 * and user mentions written as <@USERID>.
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
}

export interface Message {
  /** Plain fallback text: notifications, screen readers, logs. */
  text: string;
  blocks: Block[];
}

export const message = (text: string, ...blocks: Block[]): Message => ({
  text,
  blocks: blocks.length > 0 ? blocks : [{ kind: 'section', text }],
});
