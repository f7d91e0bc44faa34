/**
 * Slack's size limits, and the one place that makes content fit them. Nothing is ever cut
 * silently: long text is split into several blocks, and blocks beyond a message's capacity move
 * to continuation messages announced by a visible pointer.
 */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  /** Home tabs and modals hold twice as many blocks as a message. */
  blocksPerView: 100,
  sectionText: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  buttonsPerActions: 25,
  buttonLabel: 75,
  buttonValue: 2000,
  /** Top-level `text` is only the notification and fallback once blocks are present. */
  fallbackText: 3000,
  /**
   * Slack refuses a message (`msg_blocks_too_long`) whose blocks hold more than about 12,000
   * characters of text in all, even when each block is within its own limit. Counted here: the text
   * of every text object, plus `blockOverhead` per block for what its container costs.
   */
  messageText: 12_000,
  blockOverhead: 20,
  /** What a block made of several texts (fields, context elements) holds in all, so any block fits a message. */
  blockText: 3000,
  /** A button's `confirm` dialog: plain_text title, mrkdwn text, plain_text yes/no buttons. */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** A modal's title, submit and close buttons (plain_text). */
  modalTitle: 24,
  modalButton: 24,
  /** A modal's `private_metadata` and `callback_id`. */
  privateMetadata: 3000,
  callbackId: 255,
  /** An input block's label, a plain_text_input's placeholder and its longest value. */
  inputLabel: 2000,
  placeholder: 150,
  inputValue: 3000,
  /** Options of a select: each text and value, and how many one answer may hold. */
  optionText: 75,
  optionValue: 150,
  optionsPerSelect: 100,
} as const;

const FENCE = '```';
/** Room kept in every chunk for a closing fence, so an open code block can always be closed. */
const CLOSE = `\n${FENCE}`;
const OPEN = `${FENCE}\n`;

const togglesFence = (line: string): boolean => line.split(FENCE).length % 2 === 0;

/**
 * An index at most `limit` where `text` may be cut without breaking a word (when one ends close
 * by), a surrogate pair, an `&amp;`-style entity or a `<@U123>` mention.
 */
export const safeCut = (text: string, limit: number): number => {
  if (text.length <= limit) return text.length;
  let cut = limit;
  const space = text.lastIndexOf(' ', limit - 1);
  if (space > limit - 200 && space > 0) cut = space + 1;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  const amp = text.lastIndexOf('&', cut - 1);
  if (amp > 0 && amp > cut - 6 && !text.slice(amp, cut).includes(';')) cut = amp;
  const angle = text.lastIndexOf('<', cut - 1);
  if (angle > 0 && angle > cut - 80 && !text.slice(angle, cut).includes('>')) cut = angle;
  return Math.max(1, cut);
};

/**
 * Splits mrkdwn into chunks of at most `max` characters, at line breaks where possible. A ```
 * code block that spans a cut is closed at the end of one chunk and reopened at the start of the
 * next, so every chunk renders on its own.
 */
export const splitMrkdwn = (text: string, max: number): string[] => {
  if (text.length <= max) return [text];
  // Below this, reopened and closing fences would leave no room for content.
  if (max < 16) throw new RangeError(`cannot split mrkdwn into chunks of ${max} characters`);
  const chunks: string[] = [];
  let current: string | undefined;
  let open = false;
  const flush = () => {
    if (current !== undefined) chunks.push(open ? current + CLOSE : current);
    current = undefined;
  };
  const room = () =>
    max - CLOSE.length - (current === undefined ? (open ? OPEN.length : 0) : current.length + 1);
  const add = (piece: string) => {
    if (current === undefined) current = (open ? OPEN : '') + piece;
    else current += `\n${piece}`;
  };
  for (const line of text.split('\n')) {
    // A closing fence needs no room of its own: it replaces the closing fence kept in reserve.
    const spare = open && line.trim() === FENCE ? CLOSE.length : 0;
    if (line.length > room() + spare) flush();
    let rest = line;
    while (rest.length > room() + spare) {
      // A line longer than a whole chunk: fill chunks with pieces of it (the cuts are the only breaks).
      const cut = safeCut(rest, room());
      add(rest.slice(0, cut));
      flush();
      rest = rest.slice(cut);
    }
    add(rest);
    if (togglesFence(line)) open = !open;
  }
  flush();
  return chunks;
};

/** Splits a list into runs of at most `size` items. */
export const chunk = <T>(items: readonly T[], size: number): T[][] => chunkWithin(items, size);

/**
 * Splits a list into runs of at most `size` items whose weights add up to at most `maxWeight`
 * (an item heavier than that alone still gets a run of its own).
 */
export const chunkWithin = <T>(
  items: readonly T[],
  size: number,
  maxWeight = Number.POSITIVE_INFINITY,
  weight: (item: T) => number = () => 0,
): T[][] => {
  const out: T[][] = [];
  let run: T[] = [];
  let load = 0;
  for (const item of items) {
    const w = weight(item);
    if (run.length > 0 && (run.length >= size || load + w > maxWeight)) {
      out.push(run);
      run = [];
      load = 0;
    }
    run.push(item);
    load += w;
  }
  if (run.length > 0) out.push(run);
  return out;
};

export interface Pages<B> {
  first: B[];
  /** Continuation messages, in order, each within `maxBlocks` (and the text budget). */
  rest: B[][];
}

/** A budget on what the blocks of one message weigh together (their text). */
export interface PageBudget<B> {
  max: number;
  weight(block: B): number;
}

/**
 * Fits blocks into messages of at most `maxBlocks` (and, with a budget, of at most `budget.max`
 * in weight). When they overflow, the first message keeps room for the pointer block that
 * `pointer(n)` builds, n being the number of continuations.
 */
export const paginate = <B>(
  blocks: readonly B[],
  maxBlocks: number,
  pointer: (more: number) => B,
  budget: PageBudget<B> = { max: Number.POSITIVE_INFINITY, weight: () => 0 },
): Pages<B> => {
  const total = blocks.reduce((sum, block) => sum + budget.weight(block), 0);
  if (blocks.length <= maxBlocks && total <= budget.max) return { first: [...blocks], rest: [] };
  // The pointer's count is not known yet: room for the widest one it could be.
  const reserve = budget.weight(pointer(blocks.length));
  const [head = [], ...tail] = chunkWithin(blocks, maxBlocks - 1, budget.max - reserve, budget.weight);
  const rest = chunkWithin(tail.flat(), maxBlocks, budget.max, budget.weight);
  return { first: [...head, pointer(rest.length)], rest };
};

/** Shortens plain text to `max` characters with a visible ellipsis. */
export const ellipsize = (text: string, max: number): string => {
  if (text.length <= max) return text;
  return `${text.slice(0, safeCut(text, max - 1))}…`;
};
