import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded store's data: every entry lives in memory and in an append-only JSON-lines log
 * (`store.jsonl` in the data directory), one record per set or delete, replayed on open.
 *
 * ONE PROCESS ONLY. Each process keeps its own in-memory copy and appends blindly, so a second
 * process on the same directory would neither see the first one's writes nor keep the log
 * consistent. Several replicas need REDIS_URL.
 *
 * Appends are synchronous (`writeSync` before the promise resolves), so an acknowledged write
 * survives a process crash. There is no fsync per write: a power loss can lose the last moments,
 * which is the price of not waiting on the disk for every chat click.
 */

interface Entry {
  value: unknown;
  expiresAt?: number;
}

type LogRecord = { k: string; v: unknown; x?: number } | { k: string; d: 1 };

export interface FileLogOptions {
  /** Never compact a log shorter than this: rewriting a small file buys nothing. */
  compactMinRecords?: number;
  /** Compact once the log holds this many times more records than live entries. */
  compactRatio?: number;
  now?: () => number;
  /** Told about skipped corrupt records, so an operator learns that data was dropped. */
  onWarning?: (details: object, message: string) => void;
}

/** The state shared by every namespace's adapter (file-store.ts); its owner opens and closes it once. */
export class FileLog {
  readonly path: string;
  readonly #entries = new Map<string, Entry>();
  readonly #minRecords: number;
  readonly #ratio: number;
  readonly #now: () => number;
  #fd: number | undefined;
  #records = 0;

  private constructor(dir: string, options: FileLogOptions) {
    this.path = join(dir, 'store.jsonl');
    this.#minRecords = options.compactMinRecords ?? 1000;
    this.#ratio = options.compactRatio ?? 4;
    this.#now = options.now ?? Date.now;
  }

  static open(dir: string, options: FileLogOptions = {}): FileLog {
    mkdirSync(dir, { recursive: true });
    const log = new FileLog(dir, options);
    log.#replay(options.onWarning);
    log.#fd = openSync(log.path, 'a');
    log.#compactIfWorthIt();
    return log;
  }

  get(key: string): unknown {
    const entry = this.#entries.get(key);
    return entry && !this.#expired(entry) ? entry.value : undefined;
  }

  set(key: string, value: unknown, ttlMs?: number): void {
    const entry: Entry = { value: value ?? null };
    if (ttlMs !== undefined && ttlMs > 0) entry.expiresAt = this.#now() + ttlMs;
    this.#append(toRecord(key, entry));
    this.#entries.set(key, entry);
    this.#compactIfWorthIt();
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (!entry) return false;
    this.#append({ k: key, d: 1 });
    this.#entries.delete(key);
    this.#compactIfWorthIt();
    return !this.#expired(entry);
  }

  /** Live keys, snapshotted so callers may delete while iterating. */
  keys(): string[] {
    return [...this.#entries].filter(([, entry]) => !this.#expired(entry)).map(([key]) => key);
  }

  /** Rewrite the log with only the live entries: temp file, fsync, rename, so a crash leaves one or the other. */
  compact(): void {
    const fd = this.#open();
    const lines: string[] = [];
    for (const [key, entry] of this.#entries) {
      if (this.#expired(entry)) {
        this.#entries.delete(key);
        continue;
      }
      lines.push(`${JSON.stringify(toRecord(key, entry))}\n`);
    }
    const tmp = `${this.path}.tmp`;
    const tmpFd = openSync(tmp, 'w');
    try {
      writeAll(tmpFd, lines.join(''));
      fsyncSync(tmpFd);
    } finally {
      closeSync(tmpFd);
    }
    renameSync(tmp, this.path);
    closeSync(fd);
    this.#fd = openSync(this.path, 'a');
    this.#records = lines.length;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #expired(entry: Entry): boolean {
    return entry.expiresAt !== undefined && entry.expiresAt <= this.#now();
  }

  #open(): number {
    if (this.#fd === undefined) throw new Error(`the embedded store at ${this.path} is closed`);
    return this.#fd;
  }

  /** Disk first, memory second: a failed write must not leave memory claiming what the log lacks. */
  #append(record: LogRecord): void {
    writeAll(this.#open(), `${JSON.stringify(record)}\n`);
    this.#records += 1;
  }

  #compactIfWorthIt(): void {
    const worthIt =
      this.#records >= this.#minRecords && this.#records > this.#ratio * Math.max(this.#entries.size, 1);
    if (worthIt) this.compact();
  }

  #replay(onWarning: FileLogOptions['onWarning']): void {
    let buffer: Buffer;
    try {
      buffer = readFileSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    // A crash mid-append leaves an unterminated tail; every complete record ends with '\n'.
    const end = buffer.lastIndexOf(0x0a) + 1;
    const lines = buffer.subarray(0, end).toString('utf8').split('\n');
    lines.pop();
    lines.forEach((line, index) => {
      if (!this.#apply(line))
        onWarning?.({ path: this.path, line: index + 1 }, 'skipped a corrupt store record');
    });
    if (end === buffer.length) return;
    const tail = buffer.subarray(end).toString('utf8');
    if (this.#apply(tail)) {
      writeAll(openSync(this.path, 'a'), '\n', true);
    } else {
      // Cut the torn record off, or the next append would be glued onto it and be lost too.
      truncateSync(this.path, end);
      onWarning?.(
        { path: this.path, bytes: buffer.length - end },
        'dropped a torn record at the end of the store log',
      );
    }
  }

  #apply(line: string): boolean {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      return false;
    }
    if (typeof record !== 'object' || record === null || typeof (record as { k?: unknown }).k !== 'string') {
      return false;
    }
    const { k, v, x, d } = record as { k: string; v?: unknown; x?: unknown; d?: unknown };
    this.#records += 1;
    const entry: Entry = { value: v ?? null };
    if (typeof x === 'number') entry.expiresAt = x;
    if (d === 1 || this.#expired(entry)) this.#entries.delete(k);
    else this.#entries.set(k, entry);
    return true;
  }
}

const toRecord = (key: string, entry: Entry): LogRecord =>
  entry.expiresAt === undefined ? { k: key, v: entry.value } : { k: key, v: entry.value, x: entry.expiresAt };

const writeAll = (fd: number, text: string, closeAfter = false): void => {
  const bytes = Buffer.from(text, 'utf8');
  try {
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
  } finally {
    if (closeAfter) closeSync(fd);
  }
};
