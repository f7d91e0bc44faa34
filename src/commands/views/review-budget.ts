import type { Block, ChatFile, Message } from '../../engine/ports/index.js';
import { escapeText, unescapeText } from '../../engine/text/mrkdwn.js';

/**
 * Room in one review message, kept well inside Slack's (50 blocks, ~12,000 characters of block
 * text; src/bot/render/slack-limits.ts) so the renderer never continues a review in its thread:
 * a review bigger than this shows its summary and the changes that fit, largest host sets first,
 * and attaches everything in one "Full diff" file.
 */
export const REVIEW_BUDGET = { blocks: 40, text: 9_000 };

/** How much of one text a large review shows before the file takes over. */
const CLIP = { header: 150, head: 1_200, context: 500, section: 700, tail: 500 };
/** Of a shown change's diff: lines, and characters per line. */
const DIFF = { lines: 12, width: 160 };
/** Notes below the changes (compile errors, failures, ignored…) shown at most. */
const TAIL_BLOCKS = 6;

/** One change needing approval, as review.ts renders it, and how many hosts it is on. */
export interface ReviewPart {
  nodes: number;
  blocks: Block[];
  /** How a large review shows it (its host lists shortened, say); `blocks` when absent. */
  compact?: Block[];
}

export interface ReviewParts {
  /** Fallback text (notifications): the renderer shortens it itself. */
  text: string;
  /** Summary, status, buttons, notes: always shown. */
  head: Block[];
  /** The changes, largest host set first. */
  groups: ReviewPart[];
  /** What follows the changes: compile errors, parent errors, failures, hosts not in lineage, ignored. */
  tail: Block[];
}

/**
 * What a block costs in the message: its text as Slack gets it (a code block escaped and fenced),
 * the container of every 3,000-character section it becomes, and how many blocks that is.
 */
export const blockCost = (block: Block): { blocks: number; text: number } => {
  if (block.kind === 'divider') return { blocks: 1, text: 20 };
  if (block.kind === 'actions')
    return { blocks: 1, text: 20 + block.buttons.reduce((sum, b) => sum + Math.min(b.label.length, 75), 0) };
  if (block.kind === 'fields') {
    const text = block.fields.reduce((sum, f) => sum + f.label.length + f.value.length + 30, 0);
    return { blocks: Math.ceil(text / 2_000), text: text + 20 * Math.ceil(text / 2_000) };
  }
  const length =
    block.kind === 'code'
      ? block.text.length + (block.text.match(/[&<>]/g)?.length ?? 0) * 4 + 8
      : block.text.length;
  // Text is split at line breaks, so a section holds somewhat less than 3,000 characters.
  const blocks = Math.max(1, Math.ceil(length / 2_500));
  return { blocks, text: length + blocks * (20 + (block.kind === 'code' ? 8 : 0)) };
};

const costOf = (blocks: readonly Block[]) =>
  blocks.reduce(
    (sum, block) => {
      const cost = blockCost(block);
      return { blocks: sum.blocks + cost.blocks, text: sum.text + cost.text };
    },
    { blocks: 0, text: 0 },
  );

/**
 * Shortens escaped mrkdwn to at most `max` characters with a visible ellipsis, never inside an
 * `&amp;` entity, a `<@U…>` mention or a `<…|…>` link, and closing a `code` span it opened.
 */
export const clipMrkdwn = (text: string, max: number): string => {
  if (text.length <= max) return text;
  let cut = max - 2;
  const amp = text.lastIndexOf('&', cut - 1);
  if (amp >= 0 && amp > cut - 6 && !text.slice(amp, cut).includes(';')) cut = amp;
  const angle = text.lastIndexOf('<', cut - 1);
  if (angle >= 0 && !text.slice(angle, cut).includes('>')) cut = angle;
  let head = text.slice(0, cut);
  // An open ``` block or `code` span would swallow the ellipsis and whatever follows the text.
  if (head.split('```').length % 2 === 0) head += '\n```';
  else if (head.split('`').length % 2 === 0) head += '`';
  return `${head}…`;
};

/** A diff's first lines, each shortened, and a last line saying how much more the file has. */
const clipDiff = (diff: string): { text: string; shortened: boolean } => {
  const lines = diff.replace(/\n$/, '').split('\n');
  let shortened = lines.length > DIFF.lines;
  const shown = lines.slice(0, DIFF.lines).map((line) => {
    if (line.length <= DIFF.width) return line;
    shortened = true;
    return `${line.slice(0, DIFF.width - 1)}…`;
  });
  if (lines.length > DIFF.lines)
    shown.push(`… ${lines.length - DIFF.lines} more lines in the Full diff file`);
  return { text: shown.join('\n'), shortened };
};

/** A block as a large review shows it: its text clipped, its diff to its first lines. */
const compact = (block: Block, max: number): { block: Block; shortened: boolean } => {
  switch (block.kind) {
    case 'header': {
      const literal = unescapeText(block.text);
      if (literal.length <= CLIP.header) return { block, shortened: false };
      return {
        block: { kind: 'header', text: escapeText(`${literal.slice(0, CLIP.header - 1)}…`) },
        shortened: true,
      };
    }
    case 'code': {
      const diff = clipDiff(block.text);
      return { block: { kind: 'code', text: diff.text }, shortened: diff.shortened };
    }
    case 'section':
    case 'context': {
      const text = clipMrkdwn(block.text, max);
      return { block: { kind: block.kind, text }, shortened: text !== block.text };
    }
    default:
      return { block, shortened: false };
  }
};

const compactAll = (blocks: readonly Block[], max: (b: Block) => number) => {
  const out = blocks.map((b) => compact(b, max(b)));
  return { blocks: out.map((o) => o.block), shortened: out.some((o) => o.shortened) };
};

/** Code blocks hold raw text; a ``` in it would end the fence early (as the renderer does it). */
const fenceSafe = (text: string): string => text.replaceAll('```', '`\u200b`\u200b`');

/**
 * A change in as few blocks as it reads the same in: no divider (its "on hosts" line starts it),
 * and its shortened diff fenced in the section that names the resource. Blocks, not text, are
 * what a message of many small changes runs out of first.
 */
const dense = (blocks: readonly Block[]): Block[] => {
  const out: Block[] = [];
  for (const block of blocks) {
    const previous = out.at(-1);
    if (block.kind === 'divider') continue;
    if (block.kind === 'code' && previous?.kind === 'section')
      out[out.length - 1] = {
        kind: 'section',
        text: `${previous.text}\n\`\`\`\n${escapeText(fenceSafe(block.text))}\n\`\`\``,
      };
    else out.push(block);
  }
  return out;
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The review message as it is when it fits the budget; otherwise its summary, the changes that fit
 * (largest host sets first, long texts and diffs shortened visibly), at most a few notes, a line
 * saying what is left out, and `file()` (every change, whole) to attach in its thread.
 */
export const fitReview = (parts: ReviewParts, file: () => ChatFile): Message => {
  const all = [...parts.head, ...parts.groups.flatMap((g) => g.blocks), ...parts.tail];
  const whole = costOf(all);
  if (whole.blocks <= REVIEW_BUDGET.blocks && whole.text <= REVIEW_BUDGET.text)
    return { text: parts.text, blocks: all };

  const head = compactAll(parts.head, (b) => (b.kind === 'context' ? CLIP.context : CLIP.head)).blocks;
  const tail = compactAll(parts.tail.slice(0, TAIL_BLOCKS), () => CLIP.tail).blocks;
  const notesLeft = parts.tail.length - tail.length;
  // The footer's widest form, so the changes never take its room.
  const footerRoom = costOf([{ kind: 'context', text: 'x'.repeat(400) }]);
  let used = costOf([...head, ...tail]);
  used = { blocks: used.blocks + footerRoom.blocks, text: used.text + footerRoom.text };
  const shown: Block[] = [];
  let count = 0;
  let shortened = false;
  for (const group of parts.groups) {
    const view = compactAll(group.compact ?? group.blocks, (b) =>
      b.kind === 'context' ? CLIP.context : CLIP.section,
    );
    view.blocks = dense(view.blocks);
    const cost = costOf(view.blocks);
    if (used.blocks + cost.blocks > REVIEW_BUDGET.blocks || used.text + cost.text > REVIEW_BUDGET.text) break;
    used = { blocks: used.blocks + cost.blocks, text: used.text + cost.text };
    shown.push(...view.blocks);
    count += 1;
    shortened ||= view.shortened;
  }
  const total = parts.groups.length;
  const footer = [
    total > 0
      ? `Showing ${count} of ${plural(total, 'change')}, largest host sets first${shortened ? ', long diffs and lists shortened' : ''}.`
      : '',
    notesLeft > 0
      ? `${plural(notesLeft, 'more note')} (compile errors, failures, ignored changes) not shown.`
      : '',
    '*Full diff*: every change with every host and its whole diff is in the file attached in this thread.',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    text: parts.text,
    blocks: [...head, ...shown, ...tail, { kind: 'context', text: footer }],
    file: file(),
  };
};
