import type { NormalizedReport, ResourceChange } from '../puppet/types.js';
import { bodyOf, type ChangeBody, changeId, KEY_CHARS, type StoredChange } from './hash.js';

/**
 * A node's noop as the change store keeps it: the report without its changes, and per change only
 * its key and where it is declared. The bodies are stored once per distinct change (by key), so
 * 2,000 nodes showing one package upgrade store it once, and the delta of a commit is set
 * arithmetic on keys: nothing of a change is parsed until its group is shown.
 */
export interface HashedReport extends Omit<NormalizedReport, 'resources'> {
  /** Marks the format: a noop cache record without it is a whole NormalizedReport from before. */
  format: 'hashed/1';
  /** Every change's key (KEY_CHARS each), in the report's order. */
  keys: string;
  /**
   * Where each change is declared, fixed width per change: `fileWidth` base-64 digits of 1 + its
   * index in `files` (0: no file), then `lineWidth` digits of 1 + its line (0: no line).
   */
  where: string;
  files: string[];
  fileWidth: number;
  lineWidth: number;
}

/** Where a change is declared on one node (identity leaves it out; owners and reviewers need it). */
export interface Where {
  file?: string;
  line?: number;
}

const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < DIGITS.length; i++) VALUE[DIGITS.charCodeAt(i)] = i;

const widthFor = (max: number): number => {
  let width = 1;
  for (let limit = 64; max >= limit; limit *= 64) width++;
  return width;
};

const digits = (value: number, width: number): string => {
  let text = '';
  for (let rest = value, k = 0; k < width; k++, rest = Math.floor(rest / 64)) text = DIGITS[rest % 64] + text;
  return text;
};

const readDigits = (text: string, at: number, width: number): number => {
  let value = 0;
  for (let k = 0; k < width; k++) {
    const digit = VALUE[text.charCodeAt(at + k)] ?? -1;
    if (digit < 0) throw new RangeError(`not a change record: bad digit at ${at + k}`);
    value = value * 64 + digit;
  }
  return value;
};

/** The number of changes a record lists. */
export const changeCount = (record: Pick<HashedReport, 'keys'>): number => record.keys.length / KEY_CHARS;

/** The key of change `k` of a record. */
export const keyAt = (record: Pick<HashedReport, 'keys'>, k: number): string =>
  record.keys.slice(k * KEY_CHARS, (k + 1) * KEY_CHARS);

/** Where change `k` of a record is declared. */
export const whereAt = (record: HashedReport, k: number): Where => {
  const at = k * (record.fileWidth + record.lineWidth);
  const file = readDigits(record.where, at, record.fileWidth);
  const line = readDigits(record.where, at + record.fileWidth, record.lineWidth);
  const name = file === 0 ? undefined : record.files[file - 1];
  if (name === undefined) return line === 0 ? {} : { line: line - 1 };
  return line === 0 ? { file: name } : { file: name, line: line - 1 };
};

/** A report hashed: its record and the body of every change it has, by key. */
export interface Ingested {
  record: HashedReport;
  bodies: Map<string, StoredChange>;
}

/**
 * Hashes each change of a normalized report once and splits it into the node's record and the
 * bodies (pure; the change store decides which bodies are new). Lines that are not whole
 * non-negative numbers are dropped, as a record cannot hold them and no view shows them.
 */
export const ingestReport = (report: NormalizedReport): Ingested => {
  const { resources, ...head } = report;
  const bodies = new Map<string, StoredChange>();
  const fileIndex = new Map<string, number>();
  const files: string[] = [];
  let keys = '';
  let maxLine = 0;
  const places: [number, number][] = [];
  for (const resource of resources) {
    const id = changeId(resource);
    keys += id.key;
    if (!bodies.has(id.key)) bodies.set(id.key, { hash: id.hash, change: bodyOf(resource) });
    let file = 0;
    if (resource.file !== undefined) {
      file = fileIndex.get(resource.file) ?? 0;
      if (file === 0) {
        file = files.push(resource.file);
        fileIndex.set(resource.file, file);
      }
    }
    const line = validLine(resource.line) ? resource.line + 1 : 0;
    if (line > maxLine) maxLine = line;
    places.push([file, line]);
  }
  const fileWidth = widthFor(files.length);
  const lineWidth = widthFor(maxLine);
  let where = '';
  for (const [file, line] of places) where += digits(file, fileWidth) + digits(line, lineWidth);
  return { record: { ...head, format: 'hashed/1', keys, where, files, fileWidth, lineWidth }, bodies };
};

const validLine = (line: number | undefined): line is number =>
  line !== undefined && Number.isSafeInteger(line) && line >= 0;

/** The whole change `k` again, from its body and the record's file:line. */
export const changeAt = (record: HashedReport, k: number, body: ChangeBody): ResourceChange => {
  const { file, line } = whereAt(record, k);
  if (file === undefined) return line === undefined ? { ...body } : { ...body, line };
  return line === undefined ? { ...body, file } : { ...body, file, line };
};

/** True for a record in this format; false for a whole NormalizedReport stored before it. */
export const isHashed = (value: HashedReport | NormalizedReport): value is HashedReport =>
  (value as HashedReport).format === 'hashed/1';
