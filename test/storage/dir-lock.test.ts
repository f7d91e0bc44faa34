import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HecklerError } from '../../src/engine/errors.js';
import { LOCK_FILE, lockDirectory } from '../../src/storage/dir-lock.js';
import { FileLog } from '../../src/storage/file-log.js';
import { nodeFs, type SyncFs } from '../../src/storage/sync-fs.js';

const root = mkdtempSync(join(tmpdir(), 'heckler-dirlock-'));
let dirs = 0;
const freshDir = () => {
  const dir = join(root, `d${++dirs}`);
  mkdirSync(dir);
  return dir;
};
afterAll(() => rmSync(root, { recursive: true, force: true }));

const writeLock = (dir: string, holder: object) =>
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder));
const lockOf = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
/** A pid that existed a moment ago and has exited (pids are not reused that fast). */
const deadPid = () => spawnSync('true').pid as number;
const startOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
};

const refusal = (action: () => unknown): HecklerError => {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(HecklerError);
    return error as HecklerError;
  }
  throw new Error('expected a refusal');
};

describe('the data directory lock', () => {
  it('is refused to a second open in the same process, and is gone after close', () => {
    const dir = freshDir();
    const log = FileLog.open(dir);
    expect(lockOf(dir)).toMatchObject({ pid: process.pid, host: hostname(), start: startOf(process.pid) });
    const error = refusal(() => FileLog.open(dir));
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(error.message).toBe(`the data directory ${dir} is in use by this process (pid ${process.pid})`);
    // The same directory by another path (relative, through a symlink) is still this process's.
    const link = join(root, `link${dirs}`);
    symlinkSync(dir, link);
    expect(refusal(() => FileLog.open(link)).message).toContain(
      `is in use by this process (pid ${process.pid})`,
    );
    expect(refusal(() => FileLog.open(relative(process.cwd(), dir))).message).toContain('this process');
    log.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    FileLog.open(dir).close();
  });

  it('takes over the lock of a pid that is no longer running, and says so', () => {
    const dir = freshDir();
    const pid = deadPid();
    writeLock(dir, { pid, host: hostname(), since: '2020-01-01T00:00:00.000Z' });
    const warnings: Array<[object, string]> = [];
    const lock = lockDirectory(dir, { onTakeover: (details, message) => warnings.push([details, message]) });
    expect(lockOf(dir)).toMatchObject({ pid: process.pid });
    expect(warnings).toEqual([
      [
        { path: join(dir, LOCK_FILE), stalePid: pid, staleSince: '2020-01-01T00:00:00.000Z' },
        `took over the data directory lock of pid ${pid}, which is no longer running`,
      ],
    ]);
    lock.release();
  });

  it('takes over a lock whose pid now belongs to a process started at another time (a reused pid)', () => {
    const dir = freshDir();
    writeLock(dir, { pid: process.ppid, host: hostname(), start: '1', since: 'then' });
    const lock = lockDirectory(dir);
    expect(lockOf(dir)).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('takes over an unreadable lock file, but never a live process’s', () => {
    const dir = freshDir();
    writeFileSync(join(dir, LOCK_FILE), 'garbage');
    lockDirectory(dir).release();
    writeLock(dir, { pid: process.ppid, host: hostname(), start: startOf(process.ppid), since: 'then' });
    expect(refusal(() => lockDirectory(dir)).message).toBe(
      `the data directory ${dir} is in use by another Heckler process: pid ${process.ppid} on ${hostname()}, since then`,
    );
  });

  it('never takes over a lock from another host, and says how to clear it', () => {
    const dir = freshDir();
    writeLock(dir, { pid: deadPid(), host: 'elsewhere.example', since: 'then' });
    const error = refusal(() => lockDirectory(dir));
    expect(error.message).toContain('in use by another Heckler process: pid');
    expect(error.message).toContain('on elsewhere.example');
    expect(error.hint).toContain(`delete ${join(dir, LOCK_FILE)}`);
  });

  it('puts back a live lock that another process took between our look and our takeover', () => {
    const dir = freshDir();
    writeLock(dir, { pid: deadPid(), host: hostname(), since: 'stale' });
    const live = { pid: process.ppid, host: hostname(), start: startOf(process.ppid), since: 'fresh' };
    // The other process removes the stale lock and takes its own just before our rename.
    const racing: SyncFs = {
      ...nodeFs,
      renameSync: ((from, to) => {
        if (String(from).endsWith(LOCK_FILE)) writeLock(dir, live);
        nodeFs.renameSync(from, to);
      }) as SyncFs['renameSync'],
    };
    const error = refusal(() => lockDirectory(dir, { fs: racing }));
    expect(error.message).toContain(`pid ${process.ppid}`);
    expect(lockOf(dir)).toEqual(live);
  });
});
