import type { Block, Button, Message } from '../../engine/ports/index.js';

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
  const text = (s: string) => mentions(s, options.users);
  switch (block.kind) {
    case 'header':
      return [`== ${text(block.text)} ==`];
    case 'section':
      return text(block.text).split('\n');
    case 'fields':
      return block.fields.map((field) => `${field.label}: ${text(field.value)}`);
    case 'code':
      return ['```', ...block.text.split('\n'), '```'];
    case 'context':
      return text(block.text)
        .split('\n')
        .map((line) => `  ${line}`);
    case 'divider':
      return ['----'];
    case 'actions':
      return [block.buttons.map((button) => `[${options.numberButton(button)}] ${button.label}`).join('  ')];
  }
};

export const mentions = (text: string, users: Readonly<Record<string, string>>): string =>
  emoji(text.replace(/<@([A-Z0-9_]+)>/g, (_, id: string) => `@${users[id] ?? id}`));

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
};

export const emoji = (text: string): string =>
  text.replace(/:([a-z_]+):/g, (whole, name: string) => shortcodes[name] ?? whole);
