import { describe, expect, it } from 'vitest';
import {
  blockTextLength,
  type SlackBlock,
  type SlackMessagePart,
  toBlockKit,
  toHomeView,
} from '../../src/bot/render/blocks.js';
import { ellipsize, paginate, SLACK_LIMITS, splitMrkdwn } from '../../src/bot/render/slack-limits.js';
import type { Block, Message } from '../../src/engine/ports/message.js';
import { escapeText } from '../../src/engine/text/mrkdwn.js';
import { blocksText, MESSAGE_TEXT_LIMIT } from '../fakes/slack-api-methods.js';

const fences = (text: string) => text.split('```').length - 1;

/** Every limit Slack enforces on what we send. */
const expectWithinLimits = (part: SlackMessagePart, maxBlocks: number = SLACK_LIMITS.blocksPerMessage) => {
  expect(part.blocks.length).toBeLessThanOrEqual(maxBlocks);
  expect(part.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  // The text of all blocks, as we count it and as Slack (the fake) does.
  expect(part.blocks.reduce((sum, b) => sum + blockTextLength(b), 0)).toBeLessThanOrEqual(
    SLACK_LIMITS.messageText,
  );
  expect(blocksText(part.blocks)).toBeLessThanOrEqual(MESSAGE_TEXT_LIMIT);
  const ids = new Set<string>();
  for (const block of part.blocks) {
    if (block.type === 'section' && block.text) {
      expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect(fences(block.text.text) % 2).toBe(0);
    }
    if (block.type === 'section' && block.fields) {
      expect(block.fields.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldsPerSection);
      for (const field of block.fields) expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    }
    if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (block.type === 'context') {
      expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
      for (const e of block.elements)
        expect('text' in e && e.text.length).toBeLessThanOrEqual(SLACK_LIMITS.contextText);
    }
    if (block.type === 'actions') {
      expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonsPerActions);
      for (const e of block.elements) {
        if (e.type !== 'button') continue;
        expect(e.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonLabel);
        expect((e.value ?? '').length).toBeLessThanOrEqual(SLACK_LIMITS.buttonValue);
        expect(ids.has(e.action_id ?? '')).toBe(false);
        ids.add(e.action_id ?? '');
      }
    }
  }
};

const sectionTexts = (blocks: SlackBlock[]) =>
  blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));

const allParts = (message: Message) => {
  const rendered = toBlockKit(message);
  return { rendered, parts: [rendered, ...rendered.overflow] };
};

describe('splitMrkdwn', () => {
  it('leaves text within the limit alone', () => {
    expect(splitMrkdwn('short', 100)).toEqual(['short']);
  });

  it('cuts at line breaks and keeps every line', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    const chunks = splitMrkdwn(lines.join('\n'), 200);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(200);
    expect(chunks.join('\n')).toBe(lines.join('\n'));
  });

  it('closes and reopens a code fence that spans a cut', () => {
    const text = [
      'intro',
      '```',
      ...Array.from({ length: 40 }, (_, i) => `code line ${i}`),
      '```',
      'outro',
    ].join('\n');
    const chunks = splitMrkdwn(text, 120);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(120);
      expect(fences(chunk) % 2).toBe(0);
    }
    const body = chunks.join('\n').replace(/\n```\n```\n/g, '\n');
    expect(body).toBe(text);
  });

  it('keeps every chunk within the limit and its fences balanced, whatever the limit', () => {
    const words = Array.from({ length: 60 }, (_, i) => `w${i}`);
    const text = [
      words.slice(0, 10).join(' '),
      '```',
      ...words.slice(10, 40).map((w, i) => `${w}${' x'.repeat(i % 7)}`),
      '```',
      words.slice(40).join(' '),
      '```',
      'tail',
      '```',
    ].join('\n');
    for (let max = 16; max <= 120; max++) {
      const chunks = splitMrkdwn(text, max);
      for (const chunk of chunks) {
        expect(chunk.length).toBeLessThanOrEqual(max);
        expect(fences(chunk) % 2).toBe(0);
      }
      const joined = chunks.join('\n');
      for (const word of words) expect(joined).toMatch(new RegExp(`\\b${word}\\b`));
    }
  });

  it('splits a single line longer than a chunk without losing characters', () => {
    const line = Array.from({ length: 700 }, (_, i) => `w${i}`).join(' ');
    const chunks = splitMrkdwn(line, 500);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(500);
    expect(chunks.join('')).toBe(line);
  });

  it('never cuts inside an entity or a mention', () => {
    const text = `${'a'.repeat(95)}&amp;<@U0ADMIN>${'b'.repeat(200)}`;
    for (const chunk of splitMrkdwn(text, 100)) {
      expect(chunk).not.toMatch(/&[a-z]*$/);
      expect(chunk).not.toMatch(/<@[A-Z0-9]*$/);
    }
  });

  it('never cuts an escaped entity in two, at any limit (escaped text is mostly entities)', () => {
    const text = escapeText('<!channel> & <<>> x&y '.repeat(40));
    const broken = /&(?:a|am|amp|l|lt|g|gt)?$|^(?:amp|mp|p|lt|t|gt);/;
    for (let max = 16; max <= 140; max++) {
      const chunks = splitMrkdwn(text, max);
      for (const chunk of chunks) {
        expect(chunk.length).toBeLessThanOrEqual(max);
        expect(chunk).not.toMatch(broken);
      }
      expect(chunks.join('')).toBe(text);
      expect(ellipsize(text, max)).not.toMatch(/&(?:a|am|amp|l|lt|g|gt)?…$/);
    }
  });
});

describe('paginate', () => {
  it('keeps room for the pointer in the first page', () => {
    const pages = paginate([...Array(120).keys()], 50, (n) => -n);
    expect(pages.first).toHaveLength(50);
    expect(pages.first.at(-1)).toBe(-2);
    expect(pages.rest.map((p) => p.length)).toEqual([50, 21]);
  });
});

describe('toBlockKit within Slack limits', () => {
  it('moves sections beyond 50 blocks into continuation messages with a visible pointer', () => {
    const blocks: Block[] = Array.from({ length: 80 }, (_, i) => ({
      kind: 'section',
      text: `section number ${i}`,
    }));
    const { rendered, parts } = allParts({ text: 'eighty sections', blocks });
    expect(rendered.blocks).toHaveLength(50);
    expect(rendered.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '… continued in thread (1 more)' }],
    });
    expect(rendered.overflow).toHaveLength(1);
    expect(rendered.overflow[0]?.text).toBe('(continued 1/1) eighty sections');
    for (const part of parts) expectWithinLimits(part);
    expect(parts.flatMap((p) => sectionTexts(p.blocks))).toEqual(
      blocks.map((b) => (b as { text: string }).text),
    );
  });

  it('splits a 10,000-character code block into fenced sections', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `${String(i).padStart(3, '0')} ${'='.repeat(45)}`);
    const { parts } = allParts({ text: 'diff', blocks: [{ kind: 'code', text: lines.join('\n') }] });
    const texts = parts.flatMap((p) => sectionTexts(p.blocks));
    expect(texts.length).toBeGreaterThanOrEqual(4);
    for (const part of parts) expectWithinLimits(part);
    for (const text of texts) {
      expect(text.startsWith('```\n')).toBe(true);
      expect(text.endsWith('\n```')).toBe(true);
    }
    const joined = texts.join('\n');
    for (const line of lines) expect(joined).toContain(line);
  });

  it('splits fields into sections of ten and long values into continued fields', () => {
    const many = Array.from({ length: 23 }, (_, i) => ({ label: `node${i}`, value: 'ok' }));
    const rendered = toBlockKit({ text: 'f', blocks: [{ kind: 'fields', fields: many }] });
    expect(rendered.blocks.map((b) => (b.type === 'section' ? b.fields?.length : 0))).toEqual([10, 10, 3]);
    const long = toBlockKit({
      text: 'f',
      blocks: [{ kind: 'fields', fields: [{ label: 'log', value: 'y'.repeat(5000) }] }],
    });
    expectWithinLimits(long);
    const fields = long.blocks.flatMap((b) => (b.type === 'section' ? (b.fields ?? []) : []));
    expect(fields.map((f) => f.text.split('\n')[0])).toEqual([
      '*log*',
      '*log* (continued)',
      '*log* (continued)',
    ]);
    expect(fields.map((f) => f.text.split('\n')[1]).join('')).toBe('y'.repeat(5000));
  });

  it('turns an over-long header into a bold section instead of cutting it', () => {
    const title = `apply ${'v'.repeat(200)}`;
    expect(toBlockKit({ text: 't', blocks: [{ kind: 'header', text: title }] }).blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: `*${title}*` } },
    ]);
  });

  it('shortens long button labels visibly and says when a command is too long for a button', () => {
    const rendered = toBlockKit({
      text: 't',
      blocks: [
        {
          kind: 'actions',
          buttons: [
            { label: 'L'.repeat(100), command: 'help' },
            { label: 'huge', command: `lock web01 ${'r'.repeat(2100)}` },
          ],
        },
      ],
    });
    expectWithinLimits(rendered);
    const [actions, note] = rendered.blocks;
    expect(actions?.type === 'actions' && actions.elements).toHaveLength(1);
    const label =
      actions?.type === 'actions' && actions.elements[0]?.type === 'button'
        ? actions.elements[0].text.text
        : '';
    expect(label).toBe(`${'L'.repeat(74)}…`);
    expect(note).toEqual({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: "button 'huge' left out: its command is longer than a Slack button holds" },
      ],
    });
  });

  it('splits long context text into several elements', () => {
    const text = Array.from({ length: 400 }, (_, i) => `note ${i} ${'n'.repeat(15)}`).join('\n');
    const rendered = toBlockKit({ text: 't', blocks: [{ kind: 'context', text }] });
    expectWithinLimits(rendered);
    const elements = rendered.blocks.flatMap((b) => (b.type === 'context' ? b.elements : []));
    expect(elements.length).toBeGreaterThan(1);
    expect(elements.map((e) => ('text' in e ? e.text : '')).join('\n')).toBe(text);
  });

  it('keeps a huge mixed message within limits, losing nothing', () => {
    const blocks: Block[] = [];
    for (let i = 0; i < 40; i++) {
      blocks.push({ kind: 'header', text: `group ${i}` });
      blocks.push({
        kind: 'code',
        text: Array.from({ length: 30 }, (_, j) => `g${i} diff line ${j} ${'-'.repeat(80)}`).join('\n'),
      });
      blocks.push({
        kind: 'actions',
        buttons: [{ label: 'Approve', command: `approve g${i}`, style: 'primary' }],
      });
    }
    const { rendered, parts } = allParts({ text: 'x'.repeat(5000), blocks });
    for (const part of parts) expectWithinLimits(part);
    expect(rendered.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `… continued in thread (${rendered.overflow.length} more)` }],
    });
    expect(rendered.text.endsWith('…')).toBe(true);
    const all = parts.flatMap((p) => sectionTexts(p.blocks)).join('\n');
    for (let i = 0; i < 40; i++) for (let j = 0; j < 30; j++) expect(all).toContain(`g${i} diff line ${j} `);
  });

  it('says "below" for ephemeral continuations', () => {
    const blocks: Block[] = Array.from({ length: 60 }, () => ({ kind: 'divider' }));
    const rendered = toBlockKit({ text: 't', blocks }, { continuedIn: 'below' });
    expect(JSON.stringify(rendered.blocks.at(-1))).toContain('… continued below (1 more)');
  });

  it('keeps each message within the text budget: a 40,000-character diff becomes four or more messages', () => {
    const lines = Array.from({ length: 820 }, (_, i) => `${String(i).padStart(3, '0')} ${'+'.repeat(45)}`);
    const { rendered, parts } = allParts({
      text: 'diff',
      blocks: [{ kind: 'code', text: lines.join('\n') }],
    });
    expect(lines.join('\n').length).toBeGreaterThan(40_000);
    expect(parts.length).toBeGreaterThanOrEqual(4);
    for (const part of parts) expectWithinLimits(part);
    expect(JSON.stringify(rendered.blocks.at(-1))).toContain(
      `continued in thread (${rendered.overflow.length} more)`,
    );
    const joined = parts.flatMap((p) => sectionTexts(p.blocks)).join('\n');
    for (const line of lines) expect(joined).toContain(line);
  });

  it('splits ten long fields, or ten long context elements, into blocks that fit a message', () => {
    const fields = Array.from({ length: 10 }, (_, i) => ({ label: `node${i}`, value: 'v'.repeat(1900) }));
    const notes = Array.from({ length: 10 }, (_, i) => `${i} ${'n'.repeat(2990)}`).join('\n');
    const { parts } = allParts({
      text: 'wide',
      blocks: [
        { kind: 'fields', fields },
        { kind: 'context', text: notes },
      ],
    });
    for (const part of parts) expectWithinLimits(part);
    for (const block of parts.flatMap((p) => p.blocks)) {
      expect(blockTextLength(block)).toBeLessThanOrEqual(SLACK_LIMITS.blockText + SLACK_LIMITS.blockOverhead);
    }
    const values = parts
      .flatMap((p) => p.blocks)
      .flatMap((b) => (b.type === 'section' ? (b.fields ?? []) : []));
    expect(values).toHaveLength(10);
  });

  it('leaves the home tab to its block count alone', () => {
    const blocks: Block[] = Array.from({ length: 10 }, (_, i) => ({
      kind: 'section',
      text: `${i} ${'h'.repeat(2500)}`,
    }));
    const view = toHomeView({ text: 'help', blocks });
    expect(view.blocks).toHaveLength(10);
  });
});
