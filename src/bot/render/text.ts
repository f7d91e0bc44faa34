import type { Block, Button, Message } from '../../engine/ports/index.js';
import { unescapeText } from '../../engine/text/mrkdwn.js';

export interface TextRenderOptions {
  /** Display names by user id, so `<@U123>` reads as `@alice`. */
  users: Readonly<Record<string, string>>;
  /** Gives each rendered button the number `click N` presses. */
  numberButton(button: Button): number;
}

/** Terminal rendering of the neutral message structure: plain text, one line per element. */
export const renderText = (message: Message, options: TextRenderOptions): string[] =>
  message.blocks.flatMap((block) => renderBlock(block, options));

const renderBlock = (block: Block, options: TextRenderOptions): string[] => {
  const text = (s: string) => terminalText(s, options.users);
  switch (block.kind) {
    case 'header':
      return [`== ${text(block.text)} ==`];
    case 'section':
      return text(block.text).split('\n');
    case 'fields':
      return block.fields.map((field) => `${text(field.label)}: ${text(field.value)}`);
    case 'code':
      // Raw text, not mrkdwn: shown as it is, minus what would drive the terminal.
      return ['```', ...printable(block.text).split('\n'), '```'];
    case 'context':
      return text(block.text)
        .split('\n')
        .map((line) => `  ${line}`);
    case 'divider':
      return ['----'];
    case 'actions':
      return [
        block.buttons
          .map((button) => `[${options.numberButton(button)}] ${printable(button.label)}`)
          .join('  '),
      ];
  }
};

/**
 * C0 controls but tab and newline, DEL and C1: ESC starts the ANSI sequences that move the cursor,
 * recolour or clear the screen, and CR or backspace overwrite what was printed. Text from git and
 * nodes may carry any of them, so nothing printed keeps them.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export const printable = (text: string): string => text.replace(CONTROL, '');

/**
 * A message's mrkdwn as the terminal shows it: `<@U123>` as `@alice`, a link as its label and URL,
 * the entities unescaped so the text reads as typed (an escaped `&lt;!channel&gt;` is the literal
 * `<!channel>`, never a mention), shortcodes as emoji, control characters removed.
 */
export const terminalText = (text: string, users: Readonly<Record<string, string>>): string =>
  printable(
    emoji(
      unescapeText(
        text
          .replace(/<@([A-Z0-9_]+)>/g, (_, id: string) => `@${users[id] ?? id}`)
          .replace(/<!subteam\^(S[A-Z0-9]{2,40})>/g, (_, id: string) => `@group:${id}`)
          .replace(/<(https?:\/\/[^\s<>|]+)(?:\|([^<>]*))?>/g, (_, url: string, label?: string) =>
            label ? `${label} (${url})` : url,
          ),
      ),
    ),
  );

/** The shell's file comments go through the same conversion. */
export const mentions = terminalText;

/** Slack's shortcodes that messages use, as the characters a terminal shows; others stay as typed. */
const shortcodes: Readonly<Record<string, string>> = {
  white_check_mark: '✅',
  x: '❌',
  warning: '⚠️',
  hourglass: '⏳',
  arrows_counterclockwise: '🔄',
  no_entry: '⛔',
  lock: '🔒',
  unlock: '🔓',
  no_entry_sign: '🚫',
  hourglass_flowing_sand: '⏳',
  white_small_square: '▫️',
  alarm_clock: '⏰',
  information_source: 'ℹ️',
  fast_forward: '⏩',
  eyes: '👀',
  boom: '💥',
  inbox_tray: '📥',
};

export const emoji = (text: string): string =>
  text.replace(/:([a-z_]+):/g, (whole, name: string) => shortcodes[name] ?? whole);
