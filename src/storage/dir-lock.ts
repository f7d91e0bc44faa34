import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { HecklerError } from '../engine/errors.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import { nodeFs, type SyncFs, writeAll } from './sync-fs.js';

/** What the lock file says about the process that holds the data directory. */
export interface LockHolder {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (Linux /proc), so a reused pid is not mistaken for it. */
  start?: string;
  /** ISO time the lock was taken. */
  since: string;
}

export interface DirLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours. */
  release(): void;
}

export interface DirLockOptions {
  fs?: SyncFs;
  /** Told when a lock left by a process that is gone is taken over. */
  onTakeover?: (details: object, message: string) => void;
}

export const LOCK_FILE = 'heckler.lock';

/** Lock files this process holds: a second open of the same directory in one process is refused too. */
const heldHere = new Map<string, LockHolder>();

/**
 * An exclusive lock on a data directory for this process's lifetime: `<dir>/heckler.lock`, holding
 * our pid, host and start time. It is created with link(2), which fails if the file exists (the
 * O_EXCL of a complete file), so two processes can never both create it.
 *
 * A lock whose process is gone (same host, pid not running, or running but started at another
 * time: the pid was reused) is taken over. The stale file is first renamed aside, which only one
 * process can do; if what was renamed turns out to be a live process's fresh lock, it is put back.
 * A lock from another host cannot be checked and is never taken over.
 */
export const lockDirectory = (dir: string, { fs = nodeFs, onTakeover }: DirLockOptions = {}): DirLock => {
  const path = join(resolve(dir), LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const start = startTimeOf(fs, process.pid);
  if (start !== undefined) me.start = start;
  if (heldHere.has(path)) throw inUse(dir, path, me);
  const mine = `${path}.${process.pid}.new`;
  const fd = fs.openSync(mine, 'w');
  try {
    writeAll(fs, fd, Buffer.from(`${JSON.stringify(me)}\n`));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        fs.linkSync(mine, path);
        heldHere.set(path, me);
        return { path, holder: me, release: () => release(fs, path, me) };
      } catch (error) {
        if (codeOf(error) !== 'EEXIST') throw error;
      }
      const holder = readHolder(fs, path);
      if (holder === 'gone') continue;
      if (holder !== 'unreadable' && alive(fs, holder)) throw inUse(dir, path, holder);
      const aside = `${path}.${process.pid}.stale`;
      try {
        fs.renameSync(path, aside);
      } catch (error) {
        if (codeOf(error) === 'ENOENT') continue;
        throw error;
      }
      const moved = readHolder(fs, aside);
      if (typeof moved === 'object' && !sameHolder(moved, holder) && alive(fs, moved)) {
        // Between our read and our rename a live process took the lock: give it back.
        ignore(() => fs.linkSync(aside, path));
        ignore(() => fs.unlinkSync(aside));
        throw inUse(dir, path, moved);
      }
      ignore(() => fs.unlinkSync(aside));
      onTakeover?.(
        { path, ...(typeof holder === 'object' ? { stalePid: holder.pid, staleSince: holder.since } : {}) },
        typeof holder === 'object'
          ? `took over the data directory lock of pid ${holder.pid}, which is no longer running`
          : 'took over an unreadable data directory lock',
      );
    }
    throw new Error(`the lock ${path} kept changing hands; try again`);
  } finally {
    ignore(() => fs.unlinkSync(mine));
  }
};

const release = (fs: SyncFs, path: string, me: LockHolder): void => {
  if (heldHere.get(path) !== me) return;
  heldHere.delete(path);
  const holder = readHolder(fs, path);
  if (typeof holder === 'object' && sameHolder(holder, me)) ignore(() => fs.unlinkSync(path));
};

const readHolder = (fs: SyncFs, path: string): LockHolder | 'gone' | 'unreadable' => {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return 'unreadable';
    return {
      pid: parsed.pid,
      host: parsed.host,
      since: typeof parsed.since === 'string' ? parsed.since : '?',
      ...(typeof parsed.start === 'string' ? { start: parsed.start } : {}),
    };
  } catch {
    return 'unreadable';
  }
};

/** Whether the holder may still be running. Another host's process cannot be checked: assume so. */
const alive = (fs: SyncFs, holder: LockHolder): boolean => {
  if (holder.host !== hostname()) return true;
  // Our own pid: ours if we hold it (the same directory by another path), else an earlier life of
  // this pid (a container restarted as pid 1).
  if (holder.pid === process.pid) return [...heldHere.values()].some((mine) => sameHolder(mine, holder));
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if (codeOf(error) === 'ESRCH') return false;
  }
  const start = startTimeOf(fs, holder.pid);
  return holder.start === undefined || start === undefined || start === holder.start;
};

const sameHolder = (a: LockHolder | string, b: LockHolder | string): boolean =>
  typeof a === 'object' &&
  typeof b === 'object' &&
  a.pid === b.pid &&
  a.host === b.host &&
  a.since === b.since;

/** Field 22 of /proc/PID/stat; the name in field 2 may hold spaces and parentheses, so count from the last ')'. */
const startTimeOf = (fs: SyncFs, pid: number): string | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
};

const inUse = (dir: string, path: string, holder: LockHolder): HecklerError => {
  const who =
    holder.pid === process.pid && holder.host === hostname()
      ? `this process (pid ${holder.pid})`
      : `another Heckler process: pid ${holder.pid} on ${holder.host}, since ${holder.since}`;
  return new HecklerError('STORE_UNAVAILABLE', escapeText(`the data directory ${dir} is in use by ${who}`), {
    hint: escapeText(
      `Stop that process first, or give this bot its own storage.dataDir (several bots sharing state need REDIS_URL). If that process is gone for good (a removed container), delete ${path}.`,
    ),
  });
};

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

const ignore = (action: () => void): void => {
  try {
    action();
  } catch {
    // best effort: a leftover temporary file or a lock already gone changes nothing
  }
};
