import { join } from 'node:path';
import { type DirLock, lockDirectory } from './dir-lock.js';
import {
  appendOrCutBack,
  fsyncDirOf,
  messageOf,
  nodeFs,
  type SyncFs,
  TornAppend,
  writeAll,
} from './sync-fs.js';

/**
 * The embedded store's data: every entry lives in memory and in an append-only JSON-lines log
 * (`store.jsonl` in the data directory), one record per set or delete, replayed on open.
 *
 * ONE PROCESS ONLY, enforced: opening takes `<dir>/heckler.lock` (dir-lock.ts), and a second
 * process on the same directory is refused, naming the first one's pid. Several replicas need
 * REDIS_URL.
 *
 * Appends are synchronous (`writeSync` before the promise resolves), so an acknowledged write
 * survives a process crash. There is no fsync per write: a power loss can lose the last moments,
 * which is the price of not waiting on the disk for every chat click. An append that fails
 * part-way (disk full) is cut back off the file, so the records after it stay intact.
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
  /** Told about skipped corrupt records, a stale lock taken over, a compaction that failed. */
  onWarning?: (details: object, message: string) => void;
  /** The file system boundary; tests inject failures here. */
  fs?: SyncFs;
}

/** The state shared by every namespace's adapter (file-store.ts); its owner opens and closes it once. */
export class FileLog {
  readonly path: string;
  readonly #entries = new Map<string, Entry>();
  readonly #minRecords: number;
  readonly #ratio: number;
  readonly #now: () => number;
  readonly #fs: SyncFs;
  readonly #warn: NonNullable<FileLogOptions['onWarning']>;
  #lock: DirLock | undefined;
  #fd: number | undefined;
  #records = 0;
  /** Bytes of complete records: where the file must end. */
  #size = 0;
  /** Set when a failed append's bytes could not be cut off: no append until they are. */
  #torn = false;
  /** After a failed compaction, the record count to reach before trying again. */
  #compactAfter = 0;

  private constructor(dir: string, options: FileLogOptions) {
    this.path = join(dir, 'store.jsonl');
    this.#minRecords = options.compactMinRecords ?? 1000;
    this.#ratio = options.compactRatio ?? 4;
    this.#now = options.now ?? Date.now;
    this.#fs = options.fs ?? nodeFs;
    this.#warn = options.onWarning ?? (() => undefined);
  }

  static open(dir: string, options: FileLogOptions = {}): FileLog {
    const log = new FileLog(dir, options);
    log.#fs.mkdirSync(dir, { recursive: true });
    log.#lock = lockDirectory(dir, { fs: log.#fs, onTakeover: log.#warn });
    try {
      log.#replay();
      log.#fd = log.#fs.openSync(log.path, 'a');
      log.#size = log.#fs.fstatSync(log.#fd).size;
    } catch (error) {
      log.close();
      throw error;
    }
    log.#compactIfWorthIt();
    return log;
  }

  get(key: string): unknown {
    const entry = this.#entries.get(key);
    return entry && !this.#expired(entry) ? entry.value : undefined;
  }

  /** `ttlMs` 'keep': the entry keeps the expiry it has (none when it is new or expired). */
  set(key: string, value: unknown, ttlMs?: number | 'keep'): void {
    const entry: Entry = { value: value ?? null };
    if (ttlMs === 'keep') {
      const existing = this.#entries.get(key);
      if (existing?.expiresAt !== undefined && !this.#expired(existing)) entry.expiresAt = existing.expiresAt;
    } else if (ttlMs !== undefined && ttlMs > 0) entry.expiresAt = this.#now() + ttlMs;
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

  /**
   * Rewrite the log with only the live entries: temp file, fsync, rename, fsync of the directory,
   * so a crash or power loss leaves one or the other.
   */
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
    const io = this.#fs;
    const tmp = `${this.path}.tmp`;
    const bytes = Buffer.from(lines.join(''), 'utf8');
    const tmpFd = io.openSync(tmp, 'w');
    try {
      writeAll(io, tmpFd, bytes);
      io.fsyncSync(tmpFd);
    } catch (error) {
      io.closeSync(tmpFd);
      ignore(() => io.unlinkSync(tmp));
      throw error;
    }
    io.closeSync(tmpFd);
    io.renameSync(tmp, this.path);
    // From here on the path is the new file: never append to the old one again, whatever fails.
    this.#fd = undefined;
    ignore(() => io.closeSync(fd));
    this.#fd = io.openSync(this.path, 'a');
    this.#records = lines.length;
    this.#size = bytes.length;
    this.#torn = false;
    fsyncDirOf(io, this.path);
  }

  close(): void {
    if (this.#fd !== undefined) this.#fs.closeSync(this.#fd);
    this.#fd = undefined;
    this.#lock?.release();
    this.#lock = undefined;
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
    const fd = this.#open();
    if (this.#torn) {
      try {
        this.#fs.ftruncateSync(fd, this.#size);
      } catch (error) {
        throw new Error(
          `${this.path} still ends in a partial record that cannot be cut off (${messageOf(error)}); nothing more is written until it can`,
        );
      }
      this.#torn = false;
    }
    try {
      this.#size = appendOrCutBack(this.#fs, fd, this.#size, Buffer.from(`${JSON.stringify(record)}\n`));
    } catch (error) {
      if (error instanceof TornAppend) this.#torn = true;
      throw error;
    }
    this.#records += 1;
  }

  /** A compaction that fails (disk full) leaves the log as it was: warn, and try again later. */
  #compactIfWorthIt(): void {
    const worthIt =
      this.#records >= Math.max(this.#minRecords, this.#compactAfter) &&
      this.#records > this.#ratio * Math.max(this.#entries.size, 1);
    if (!worthIt) return;
    try {
      this.compact();
      this.#compactAfter = 0;
    } catch (error) {
      this.#compactAfter = this.#records + this.#minRecords;
      this.#warn({ path: this.path, err: error }, 'could not compact the store log; it stays as it was');
    }
  }

  #replay(): void {
    let buffer: Buffer;
    try {
      buffer = this.#fs.readFileSync(this.path);
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
        this.#warn({ path: this.path, line: index + 1 }, 'skipped a corrupt store record');
    });
    if (end === buffer.length) return;
    const tail = buffer.subarray(end).toString('utf8');
    if (this.#apply(tail)) {
      const fd = this.#fs.openSync(this.path, 'a');
      try {
        writeAll(this.#fs, fd, Buffer.from('\n'));
      } finally {
        this.#fs.closeSync(fd);
      }
    } else {
      // Cut the torn record off, or the next append would be glued onto it and be lost too.
      this.#fs.truncateSync(this.path, end);
      this.#warn(
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

const ignore = (action: () => void): void => {
  try {
    action();
  } catch {
    // a leftover temporary file is overwritten by the next compaction; a failed close changes nothing
  }
};
