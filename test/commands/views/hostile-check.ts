import { expect } from 'vitest';
import { toBlockKit } from '../../../src/bot/render/blocks.js';
import { renderText } from '../../../src/bot/render/text.js';
import type { Message } from '../../../src/engine/ports/index.js';
import { unescapeText } from '../../../src/engine/text/mrkdwn.js';
import { HOSTILE, LEGIT } from './hostile-records.js';

/** The tokens a Slack mrkdwn text holds: `<…>` is only ever a mention of a legitimate user. */
const tokens = (text: string) => [...text.matchAll(/<([^<>]*)>/g)].map((match) => match[1] ?? '');
const allowed = new Set(LEGIT.map((id) => `@${id}`));
const strayAngles = (text: string) => text.replace(/<@[A-Z0-9_]+>/g, '').replace(/[^<>]/g, '');

/** Text objects of a Block Kit payload: mrkdwn (parsed by Slack) and plain_text (shown as is). */
const textObjects = (node: unknown, out: { mrkdwn: string[]; plain: string[] }) => {
  if (Array.isArray(node)) for (const item of node) textObjects(item, out);
  else if (node && typeof node === 'object') {
    const object = node as Record<string, unknown>;
    if (object.type === 'mrkdwn' && typeof object.text === 'string') out.mrkdwn.push(object.text);
    else if (object.type === 'plain_text' && typeof object.text === 'string') out.plain.push(object.text);
    else for (const value of Object.values(object)) textObjects(value, out);
  }
  return out;
};

/** The mrkdwn of a neutral message as the view wrote it (code blocks hold raw text: not mrkdwn). */
const viewTexts = (message: Message): string[] => [
  message.text,
  ...message.blocks.flatMap((block) =>
    block.kind === 'fields'
      ? block.fields.flatMap((field) => [field.label, field.value])
      : block.kind === 'header' || block.kind === 'section' || block.kind === 'context'
        ? [block.text]
        : [],
  ),
];

const users = { U0ADMIN: 'admin', U0ALICE: 'alice', U0BOB: 'bob', U0CAROL: 'carol' };

/**
 * The whole contract on one message: the view escaped what it quotes, Slack gets no token but
 * mentions of the users the record names, and every hostile string is still there to read.
 */
export const expectHarmless = (message: Message, visible: readonly string[] = HOSTILE) => {
  // The view escaped everything: its text holds no token but mentions of the users it names.
  for (const text of viewTexts(message)) {
    expect(
      tokens(text).filter((token) => !allowed.has(token)),
      `view text: ${text}`,
    ).toEqual([]);
    expect(strayAngles(text), `view text: ${text}`).toBe('');
  }
  // Slack receives no special mention, no mention of anyone else, no link.
  const rendered = toBlockKit(message);
  const parts = [rendered, ...rendered.overflow];
  const texts = textObjects(
    parts.map((part) => part.blocks),
    { mrkdwn: parts.map((part) => part.text), plain: [] },
  );
  for (const text of texts.mrkdwn) {
    expect(
      tokens(text).filter((token) => !allowed.has(token)),
      `Slack text: ${text}`,
    ).toEqual([]);
    expect(strayAngles(text), `Slack text: ${text}`).toBe('');
  }
  // Slack parses no token in plain_text (headers, buttons), so there the characters are shown as they are.
  const shown = [...texts.mrkdwn.map(unescapeText), ...texts.plain].join('\n');
  for (const piece of visible) expect(shown).toContain(piece);
  // The terminal shows the same characters, and never names U0ADMIN or follows the link.
  let n = 1;
  const terminal = renderText(message, { users, numberButton: () => n++ }).join('\n');
  for (const piece of visible) expect(terminal).toContain(piece);
  expect(terminal).not.toContain('@admin');
  expect(terminal).not.toContain('(https://evil.test)');
};
