import { describe, expect, it } from 'vitest';
import { toBlockKit } from '../../../src/bot/render/blocks.js';
import { SLACK_LIMITS } from '../../../src/bot/render/slack-limits.js';
import {
  blockCost,
  clipMrkdwn,
  fitReview,
  REVIEW_BUDGET,
  type ReviewPart,
} from '../../../src/commands/views/review-budget.js';
import { plainText } from '../../../src/commands/views/review-file.js';
import type { Block } from '../../../src/engine/ports/index.js';

const file = () => ({ filename: 'review.txt', title: 'Full diff', content: 'everything' });
const group = (nodes: number, diffLines: number, tag: string): ReviewPart => ({
  nodes,
  blocks: [
    { kind: 'divider' },
    { kind: 'context', text: `on ${nodes} hosts ${tag}` },
    { kind: 'section', text: `\`File[${tag}]\`` },
    { kind: 'code', text: Array.from({ length: diffLines }, (_, i) => `+${tag} line ${i}`).join('\n') },
  ],
});
const head: Block[] = [
  { kind: 'header', text: 'abc1234 a commit' },
  { kind: 'section', text: 'by <@U0ALICE>' },
];

describe('clipMrkdwn', () => {
  it.each([
    ['short', 10, 'short'],
    ['a'.repeat(20), 10, `${'a'.repeat(8)}…`],
    // Never inside an entity, a mention or a link; a code span it opened is closed.
    ['abcdef &amp; x', 10, 'abcdef …'],
    ['abc <@U0ALICE> and more', 10, 'abc …'],
    ['see <https://x.example/a|the build> now', 20, 'see …'],
    ['run `puppet agent --noop` now', 15, 'run `puppet a`…'],
    ['```\ncode\nmore code here\n```', 14, '```\ncode\nmor\n```…'],
  ])('%j cut to %i → %j', (text, max, expected) => {
    const clipped = clipMrkdwn(text, max);
    expect(clipped).toBe(expected);
    expect(clipped.length).toBeLessThanOrEqual(max + 4);
  });
});

describe('blockCost', () => {
  it.each<[Block, { blocks: number; text: number }]>([
    [{ kind: 'divider' }, { blocks: 1, text: 20 }],
    [
      { kind: 'section', text: 'x'.repeat(100) },
      { blocks: 1, text: 120 },
    ],
    [
      { kind: 'section', text: 'x'.repeat(6000) },
      { blocks: 3, text: 6060 },
    ],
    // A code block is fenced, and escaped: every & < > costs four more characters.
    [
      { kind: 'code', text: '<<>>' },
      { blocks: 1, text: 4 + 16 + 8 + 28 },
    ],
  ])('%j costs %j', (block, cost) => {
    expect(blockCost(block)).toEqual(cost);
  });

  it('never counts less than Slack does for what the renderer makes of a block', () => {
    const blocks: Block[] = [
      { kind: 'section', text: 'word '.repeat(2000) },
      { kind: 'code', text: '<a & b>\n'.repeat(900) },
      { kind: 'context', text: 'x'.repeat(2900) },
    ];
    for (const block of blocks) {
      const rendered = toBlockKit({ text: 't', blocks: [block] }, { maxText: Number.POSITIVE_INFINITY });
      const slack = JSON.stringify(rendered.blocks).length;
      expect(blockCost(block).blocks).toBeGreaterThanOrEqual(rendered.blocks.length);
      // JSON adds its own punctuation: what Slack counts is less than the JSON's length.
      expect(blockCost(block).text).toBeGreaterThanOrEqual(slack * 0.9 - 200);
    }
  });
});

describe('fitReview', () => {
  it('leaves a review that fits as it is, with no file', () => {
    const message = fitReview(
      { text: 't', head, groups: [group(3, 5, 'a'), group(1, 5, 'b')], tail: [] },
      file,
    );
    expect(message.file).toBeUndefined();
    expect(message.blocks).toHaveLength(2 + 8);
    expect(JSON.stringify(message.blocks)).not.toContain('Full diff');
  });

  it('shows the groups that fit, in the order given, shortened visibly, and attaches the file', () => {
    const groups = Array.from({ length: 60 }, (_, i) => group(60 - i, 40, `g${i}`));
    const tail: Block[] = Array.from({ length: 9 }, (_, i) => ({ kind: 'context', text: `failure ${i}` }));
    const message = fitReview({ text: 't', head, groups, tail }, file);
    expect(message.file).toEqual(file());
    const rendered = toBlockKit(message);
    expect(rendered.overflow).toEqual([]);
    expect(rendered.blocks.length).toBeLessThanOrEqual(REVIEW_BUDGET.blocks + 5);
    const text = JSON.stringify(message.blocks);
    const shown = Number(
      /Showing (\d+) of 60 changes, largest host sets first, long diffs and lists shortened/.exec(text)?.[1],
    );
    expect(shown).toBeGreaterThan(3);
    // The first `shown` groups, in order, and no other.
    for (let i = 0; i < 60; i += 1) expect(text.includes(`File[g${i}]`)).toBe(i < shown);
    expect(text).toContain('… 28 more lines in the Full diff file');
    expect(text).toContain('3 more notes (compile errors, failures, ignored changes) not shown.');
    expect(text).toContain('failure 5');
    expect(text).not.toContain('failure 6');
  });

  it('keeps within Slack limits when every text of the head is enormous', () => {
    const huge = (n: number) => `${'&amp; <@U0ALICE> '.repeat(n)}`;
    const bigHead: Block[] = [
      { kind: 'header', text: `abc ${'&lt;'.repeat(500)}` },
      ...Array.from({ length: 5 }, (): Block => ({ kind: 'section', text: huge(2000) })),
      ...Array.from({ length: 4 }, (): Block => ({ kind: 'context', text: huge(2000) })),
    ];
    const tail = Array.from({ length: 50 }, (): Block => ({ kind: 'section', text: huge(500) }));
    const message = fitReview({ text: 't', head: bigHead, groups: [group(5, 3, 'a')], tail }, file);
    const rendered = toBlockKit(message);
    expect(rendered.overflow).toEqual([]);
    expect(rendered.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
    expect(rendered.blocks[0]).toMatchObject({ type: 'header' });
    expect(JSON.stringify(message.blocks)).toContain('Showing 0 of 1 change');
  });
});

describe('plainText', () => {
  it.each([
    ['plain\ttext\n', 'plain\ttext\n'],
    ['\u0000\u0007\u001b[31m\r\n', '\\x00\\x07\\x1b[31m\\x0d\n'],
    ['\u007f', '\\x7f'],
    ['a\ud800b', 'a\\ud800b'],
    ['\udc00', '\\udc00'],
    ['emoji 😀 ü', 'emoji 😀 ü'],
  ])('%j → %j', (text, expected) => {
    expect(plainText(text)).toBe(expected);
  });
});
