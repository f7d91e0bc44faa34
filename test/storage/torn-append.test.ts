import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileLog } from '../../src/storage/file-log.js';
import { nodeFs, type SyncFs } from '../../src/storage/sync-fs.js';
import { run } from '../support/process.js';

const root = mkdtempSync(join(tmpdir(), 'heckler-torn-'));
let dirs = 0;
const freshDir = () => join(root, `d${++dirs}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const repoRoot = join(import.meta.dirname, '../..');
const noCompaction = { compactMinRecords: 1_000_000 };

/** The store's file system, with `writeSync` writing half of the next buffer and then failing. */
const fillingUp = () => {
  let armed = false;
  const cuts: number[] = [];
  const fs: SyncFs = {
    ...nodeFs,
    writeSync: ((fd: number, buffer: Uint8Array, offset?: number | null) => {
      if (!armed) return nodeFs.writeSync(fd, buffer, offset);
      armed = false;
      const from = offset ?? 0;
      nodeFs.writeSync(fd, buffer, from, Math.floor((buffer.length - from) / 2));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as SyncFs['writeSync'],
    ftruncateSync: ((fd, length) => {
      cuts.push(length ?? 0);
      if (failCuts > 0) {
        failCuts -= 1;
        throw Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' });
      }
      nodeFs.ftruncateSync(fd, length);
    }) as SyncFs['ftruncateSync'],
  };
  let failCuts = 0;
  return {
    fs,
    cuts,
    failNextWrite: () => {
      armed = true;
    },
    failNextCuts: (n: number) => {
      failCuts = n;
    },
  };
};

describe('an append that fails part-way', () => {
  it('on a real full disk (a 256 KiB tmpfs in its own mount namespace) leaves every earlier record and the next one intact', async () => {
    const mount = mkdtempSync(join(tmpdir(), 'heckler-tmpfs-'));
    const script = 'mount -t tmpfs -o size=256k tmpfs "$1" && exec "$2" --import tsx "$3" "$1"';
    const child = join(repoRoot, 'test/storage/full-disk-child.ts');
    const result = await run('unshare', ['-rm', 'sh', '-c', script, 'sh', mount, process.execPath, child], {
      cwd: repoRoot,
      timeoutMs: 30_000,
    });
    rmSync(mount, { recursive: true, force: true });
    if (result.code !== 0) {
      throw new Error(
        `the full-disk child failed (it needs unshare and a tmpfs mount: root, or user namespaces): exit ${result.code}\n${result.stderr}`,
      );
    }
    const report = JSON.parse(result.stdout);
    expect(report.failure).toBe('ENOSPC');
    // The partial record was cut off: the file ends where the last good record ended.
    expect(report.sizeAfterFailure).toBe(report.goodSize);
    expect(report.earlier).toEqual(Array.from({ length: 20 }, (_, i) => `value ${i}`));
    expect(report.big).toBeNull();
    expect(report.next).toBe('intact');
    expect(report.warnings).toEqual([]);
  }, 60_000);

  it('is cut back to the last good length, so the next record is readable after a reopen', () => {
    const dir = freshDir();
    const disk = fillingUp();
    const log = FileLog.open(dir, { ...noCompaction, fs: disk.fs });
    log.set('a', 'one');
    log.set('b', 'two');
    const good = readFileSync(log.path);
    disk.failNextWrite();
    expect(() => log.set('c', 'three'.repeat(100))).toThrow(/ENOSPC/);
    expect(readFileSync(log.path)).toEqual(good);
    expect(log.get('c')).toBeUndefined();
    log.set('d', 'four');
    log.close();
    const warnings: string[] = [];
    const reopened = FileLog.open(dir, { onWarning: (_, message) => warnings.push(message) });
    expect(reopened.keys().sort()).toEqual(['a', 'b', 'd']);
    expect(reopened.get('d')).toBe('four');
    expect(warnings).toEqual([]);
    reopened.close();
  });

  it('when even the cut fails, writes nothing more until a later cut succeeds', () => {
    const dir = freshDir();
    const disk = fillingUp();
    const log = FileLog.open(dir, { ...noCompaction, fs: disk.fs });
    log.set('a', 'one');
    const good = readFileSync(log.path).length;
    disk.failNextWrite();
    disk.failNextCuts(2);
    expect(() => log.set('b', 'two'.repeat(50))).toThrow(/could not be cut off/);
    expect(() => log.set('c', 'three')).toThrow(/still ends in a partial record that cannot be cut off/);
    log.set('d', 'four');
    expect(disk.cuts).toEqual([good, good, good]);
    log.close();
    expect(FileLog.open(dir).keys().sort()).toEqual(['a', 'd']);
  });
});

describe('compaction', () => {
  it('fsyncs the directory after the rename, so the new log survives a power loss', () => {
    const dir = freshDir();
    const calls: string[] = [];
    const paths = new Map<number, string>();
    const fs: SyncFs = {
      ...nodeFs,
      openSync: ((path, flags, mode) => {
        const fd = nodeFs.openSync(path, flags, mode);
        paths.set(fd, String(path));
        return fd;
      }) as SyncFs['openSync'],
      fsyncSync: (fd) => {
        calls.push(`fsync ${paths.get(fd)}`);
        nodeFs.fsyncSync(fd);
      },
      renameSync: (from, to) => {
        calls.push(`rename ${from} -> ${to}`);
        nodeFs.renameSync(from, to);
      },
    };
    const log = FileLog.open(dir, { fs });
    log.set('a', 'one');
    calls.length = 0;
    log.compact();
    expect(calls).toEqual([`fsync ${log.path}.tmp`, `rename ${log.path}.tmp -> ${log.path}`, `fsync ${dir}`]);
    log.close();
  });
});
