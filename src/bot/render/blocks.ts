import type { types } from '@slack/bolt';
import type { Ask, Block, Button, Confirm, Field, Message } from '../../engine/ports/message.js';
import { escapeText, unescapeText } from '../../engine/text/mrkdwn.js';
import { chunk, chunkWithin, ellipsize, paginate, SLACK_LIMITS, splitMrkdwn } from './slack-limits.js';

export type SlackBlock =
  | types.HeaderBlock
  | types.SectionBlock
  | types.ContextBlock
  | types.DividerBlock
  | types.ActionsBlock;

/** One Slack message: fallback text plus blocks. */
export interface SlackMessagePart {
  text: string;
  blocks: SlackBlock[];
}

/** A rendered message and the continuation messages that did not fit in it. */
export interface SlackRendering extends SlackMessagePart {
  overflow: SlackMessagePart[];
}

export interface RenderOptions {
  /** 50 for messages; 100 for a home tab. */
  maxBlocks?: number;
  /** Text all blocks of one message may hold (SLACK_LIMITS.messageText; unbounded for a home tab). */
  maxText?: number;
  /** Words for the pointer to the continuations: "thread" for posts, "below" for ephemeral replies. */
  continuedIn?: 'thread' | 'below';
}

/** Every button's action_id starts with this; the Slack adapter routes clicks on it. */
export const ACTION_PREFIX = 'heckler:';
/** A button that asks for a text first (Button.ask): its click opens a modal instead of running. */
export const ASK_PREFIX = 'heckler-ask:';

/** What an asking button carries in its value: the command and the question (Slack echoes it on click). */
export interface AskValue {
  command: string;
  ask: Ask;
}

/** A plain button's value is its command; an asking one's is its AskValue as JSON. */
const buttonValue = (button: Button): string =>
  button.ask
    ? JSON.stringify({ command: button.command, ask: button.ask } satisfies AskValue)
    : button.command;

/** The AskValue a click echoes, or undefined when it is not one (never trusted further than its shape). */
export const parseAskValue = (value: string | undefined): AskValue | undefined => {
  try {
    const parsed = JSON.parse(value ?? '') as Partial<AskValue> | null;
    const ask = parsed?.ask as Partial<Ask> | undefined;
    const strings = [parsed?.command, ask?.title, ask?.label, ask?.submit];
    if (!strings.every((s) => typeof s === 'string')) return undefined;
    if (ask?.placeholder !== undefined && typeof ask.placeholder !== 'string') return undefined;
    return parsed as AskValue;
  } catch {
    return undefined;
  }
};

const mrkdwn = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text });
const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text, emoji: true });

/**
 * The only `<…>` tokens the bot makes: a user mention from `mention`, a user group from
 * `mentionGroup` (owners mapped to one) and an http(s) link from `link` (its label escaped, so it
 * holds no `<` or `>`).
 */
const botToken = /<(?:@[A-Z0-9_]+|!subteam\^S[A-Z0-9]{2,40}|https?:\/\/[^\s<>|]+(?:\|[^<>]*)?)>/g;

const escapeStray = (part: string): string =>
  part
    .replace(/&(?!(?:amp|lt|gt);)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');

/**
 * Message text arrives as escaped mrkdwn (src/engine/text/mrkdwn.ts), so it is sent as it is, with
 * one safety net: any `<`, `>` or bare `&` outside a mention or link the bot made is escaped. A view
 * that forgot `escapeText` therefore shows `<!channel>`, `<!here>`, `<!subteam^…|…>` or `<#C…>` as
 * characters instead of notifying everyone.
 */
export const safeMrkdwn = (text: string): string => {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(botToken)) {
    out += escapeStray(text.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return out + escapeStray(text.slice(last));
};

/** Code blocks hold raw text; a ``` in it would end the block early. */
const fenceSafe = (text: string): string => text.replaceAll('```', '`\u200b`\u200b`');

const sections = (text: string): SlackBlock[] =>
  text.trim() === ''
    ? []
    : splitMrkdwn(safeMrkdwn(text), SLACK_LIMITS.sectionText).map((part) => ({
        type: 'section',
        text: mrkdwn(part),
      }));

const fieldTexts = (field: Field): string[] => {
  const label = `*${safeMrkdwn(ellipsize(field.label, 200))}*`;
  const value = safeMrkdwn(field.value) || ' ';
  const room = SLACK_LIMITS.fieldText - label.length - 20;
  return splitMrkdwn(value, room).map((part, i) => `${label}${i > 0 ? ' (continued)' : ''}\n${part}`);
};

const length = (text: string) => text.length;

const fields = (list: readonly Field[]): SlackBlock[] =>
  chunkWithin(list.flatMap(fieldTexts), SLACK_LIMITS.fieldsPerSection, SLACK_LIMITS.blockText, length).map(
    (texts) => ({ type: 'section', fields: texts.map(mrkdwn) }),
  );

const context = (text: string): SlackBlock[] => {
  if (text.trim() === '') return [];
  const parts = splitMrkdwn(safeMrkdwn(text), SLACK_LIMITS.contextText);
  return chunkWithin(parts, SLACK_LIMITS.contextElements, SLACK_LIMITS.blockText, length).map((run) => ({
    type: 'context',
    elements: run.map(mrkdwn),
  }));
};

/** What a block counts against a message's text budget: the text of its text objects and its container. */
export const blockTextLength = (block: SlackBlock): number => {
  const texts: (string | undefined)[] = [];
  if (block.type === 'header') texts.push(block.text.text);
  if (block.type === 'section') texts.push(block.text?.text, ...(block.fields ?? []).map((f) => f.text));
  if (block.type === 'context') texts.push(...block.elements.map((e) => ('text' in e ? e.text : undefined)));
  if (block.type === 'actions') {
    texts.push(...block.elements.map((e) => (e.type === 'button' ? e.text.text : undefined)));
  }
  return texts.reduce<number>((sum, text) => sum + (text?.length ?? 0), SLACK_LIMITS.blockOverhead);
};

/** A header is plain_text, where Slack shows characters as they are: the literal text, unescaped. */
const header = (text: string): SlackBlock[] => {
  const literal = unescapeText(text);
  if (literal.trim() === '') return [];
  // A header too long for Slack becomes a bold section rather than losing its end.
  if (literal.length > SLACK_LIMITS.headerText) return sections(`*${text}*`);
  return [{ type: 'header', text: plain(literal) }];
};

/** Code blocks hold raw literal text (diffs, logs): it is escaped here, once. */
const code = (text: string): SlackBlock[] =>
  text === '' ? [] : sections(`\`\`\`\n${escapeText(fenceSafe(text))}\n\`\`\``);

/** A Block Kit confirmation dialog within its limits (title 100, text 300, buttons 30 characters). */
export const confirmDialog = (confirm: Confirm, style?: Button['style']): types.ConfirmationDialog => ({
  title: plain(ellipsize(confirm.title, SLACK_LIMITS.confirmTitle)),
  text: mrkdwn(ellipsize(safeMrkdwn(confirm.text), SLACK_LIMITS.confirmText)),
  confirm: plain(ellipsize(confirm.yes, SLACK_LIMITS.confirmButton)),
  deny: plain(ellipsize(confirm.no ?? 'Cancel', SLACK_LIMITS.confirmButton)),
  ...(style === 'danger' ? { style: 'danger' as const } : {}),
});

const buttonElement = (button: Button, counter: { next: number }): types.Button => {
  const asks = button.ask !== undefined;
  const element: types.Button = {
    type: 'button',
    action_id: `${asks ? ASK_PREFIX : ACTION_PREFIX}${counter.next++}`,
    text: plain(ellipsize(button.label, SLACK_LIMITS.buttonLabel)),
    value: buttonValue(button),
  };
  if (button.style) element.style = button.style;
  if (button.confirm) element.confirm = confirmDialog(button.confirm, button.style);
  return element;
};

const actions = (buttons: readonly Button[], counter: { next: number }): SlackBlock[] => {
  const fitting = buttons.filter((b) => buttonValue(b).length <= SLACK_LIMITS.buttonValue);
  const tooLong = buttons.filter((b) => buttonValue(b).length > SLACK_LIMITS.buttonValue);
  const rows: SlackBlock[] = chunk(fitting, SLACK_LIMITS.buttonsPerActions).map((row) => ({
    type: 'actions',
    elements: row.map((button) => buttonElement(button, counter)),
  }));
  const notes = tooLong.map(
    (b) => `button '${escapeText(b.label)}' left out: its command is longer than a Slack button holds`,
  );
  return [...rows, ...context(notes.join('\n'))];
};

const renderBlock = (block: Block, counter: { next: number }): SlackBlock[] => {
  switch (block.kind) {
    case 'header':
      return header(block.text);
    case 'section':
      return sections(block.text);
    case 'fields':
      return fields(block.fields);
    case 'code':
      return code(block.text);
    case 'context':
      return context(block.text);
    case 'divider':
      return [{ type: 'divider' }];
    case 'actions':
      return actions(block.buttons, counter);
  }
};

const pointer =
  (where: 'thread' | 'below') =>
  (more: number): SlackBlock => ({
    type: 'context',
    elements: [mrkdwn(`… continued ${where === 'thread' ? 'in thread' : 'below'} (${more} more)`)],
  });

/**
 * Renders a neutral message as Block Kit within Slack's limits: at most 50 blocks and
 * SLACK_LIMITS.messageText of text per message. Whatever does not fit in one message comes back in
 * `overflow`, each part within the same limits, to be posted as thread replies (or further
 * ephemeral answers).
 */
export const toBlockKit = (message: Message, options: RenderOptions = {}): SlackRendering => {
  const counter = { next: 0 };
  let blocks = message.blocks.flatMap((block) => renderBlock(block, counter));
  if (blocks.length === 0) blocks = sections(message.text);
  const maxBlocks = options.maxBlocks ?? SLACK_LIMITS.blocksPerMessage;
  const budget = { max: options.maxText ?? SLACK_LIMITS.messageText, weight: blockTextLength };
  const pages = paginate(blocks, maxBlocks, pointer(options.continuedIn ?? 'thread'), budget);
  const text = ellipsize(safeMrkdwn(message.text), SLACK_LIMITS.fallbackText);
  return {
    text,
    blocks: pages.first,
    overflow: pages.rest.map((page, i) => ({
      text: ellipsize(`(continued ${i + 1}/${pages.rest.length}) ${text}`, SLACK_LIMITS.fallbackText),
      blocks: page,
    })),
  };
};

/** The App Home tab: the whole message, within a view's larger block budget. */
export const toHomeView = (message: Message): types.HomeView => {
  // Slack documents no text budget for views; only their block count bounds them.
  const rendering = toBlockKit(message, {
    maxBlocks: SLACK_LIMITS.blocksPerView,
    maxText: Number.POSITIVE_INFINITY,
  });
  const blocks = [...rendering.blocks];
  if (rendering.overflow.length > 0) {
    blocks.splice(-1, 1, {
      type: 'context',
      elements: [
        mrkdwn(
          `… ${rendering.overflow.length} more part(s) do not fit here; run \`/heckler help\` in a channel`,
        ),
      ],
    });
  }
  return { type: 'home', blocks };
};
