import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyv } from 'keyv';
import { afterAll, describe, expect, it } from 'vitest';
import { FileLog } from '../../src/storage/file-log.js';
import { KeyvFileStore } from '../../src/storage/file-store.js';

const root = mkdtempSync(join(tmpdir(), 'heckler-filelog-'));
let dirs = 0;
const freshDir = () => join(root, `d${++dirs}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const lines = (log: FileLog) => readFileSync(log.path, 'utf8').split('\n').filter(Boolean);

describe('FileLog', () => {
  it('compacts a log full of overwrites, and the data survives a reopen', () => {
    const dir = freshDir();
    const log = FileLog.open(dir, { compactMinRecords: 200 });
    for (let i = 0; i < 199; i += 1) log.set('counter', `value ${i}`);
    const before = statSync(log.path).size;
    expect(lines(log)).toHaveLength(199);
    log.set('counter', 'value 199');
    log.set('other', 'kept');
    expect(statSync(log.path).size).toBeLessThan(before / 20);
    expect(lines(log).length).toBeLessThanOrEqual(2);
    log.close();
    const reopened = FileLog.open(dir);
    expect(reopened.get('counter')).toBe('value 199');
    expect(reopened.get('other')).toBe('kept');
    reopened.close();
  });

  it('drops expired entries when it compacts and when it replays', () => {
    let now = 1_000_000;
    const dir = freshDir();
    const log = FileLog.open(dir, { compactMinRecords: 1_000_000, now: () => now });
    log.set('brief', 'a', 100);
    log.set('lasting', 'b');
    log.set('later', 'c', 10_000);
    now += 500;
    expect(log.get('brief')).toBeUndefined();
    expect(log.keys().sort()).toEqual(['lasting', 'later']);
    log.compact();
    expect(
      lines(log)
        .map((line) => JSON.parse(line).k)
        .sort(),
    ).toEqual(['lasting', 'later']);
    log.close();
    now += 20_000;
    const reopened = FileLog.open(dir, { now: () => now });
    expect(reopened.keys()).toEqual(['lasting']);
    reopened.close();
  });

  it('keeps the good records when the last append was torn by a crash', () => {
    const dir = freshDir();
    const log = FileLog.open(dir);
    log.set('a', 'one');
    log.set('b', 'two');
    log.delete('a');
    log.close();
    appendFileSync(log.path, '{"k":"c","v":"thr');
    const warnings: object[] = [];
    const reopened = FileLog.open(dir, { onWarning: (details) => warnings.push(details) });
    expect(reopened.keys()).toEqual(['b']);
    expect(warnings).toHaveLength(1);
    // the torn bytes are cut off, so the next record starts on a line of its own
    reopened.set('d', 'four');
    reopened.close();
    const again = FileLog.open(dir, { onWarning: (details) => warnings.push(details) });
    expect(again.keys().sort()).toEqual(['b', 'd']);
    expect(warnings).toHaveLength(1);
    again.close();
  });

  it('skips a corrupt line, and keeps a complete last record that lacks its newline', () => {
    const dir = freshDir();
    const log = FileLog.open(dir);
    log.set('a', 'one');
    log.close();
    appendFileSync(log.path, 'garbage\u0000\n{"k":"b","v":"two"}');
    const warnings: object[] = [];
    const reopened = FileLog.open(dir, { onWarning: (details) => warnings.push(details) });
    expect(reopened.keys().sort()).toEqual(['a', 'b']);
    expect(warnings).toEqual([expect.objectContaining({ line: 2 })]);
    reopened.set('c', 'three');
    reopened.close();
    const again = FileLog.open(dir);
    expect(again.keys().sort()).toEqual(['a', 'b', 'c']);
    again.close();
  });

  it('refuses writes once closed', () => {
    const log = FileLog.open(freshDir());
    log.close();
    expect(() => log.set('a', 'b')).toThrow(/closed/);
  });
});

describe('KeyvFileStore', () => {
  it('works as a Keyv store, one adapter per namespace over a shared log', async () => {
    const log = FileLog.open(freshDir());
    const apples = new Keyv({ store: new KeyvFileStore(log), namespace: 'apples', useKeyPrefix: false });
    const pears = new Keyv({ store: new KeyvFileStore(log), namespace: 'pears', useKeyPrefix: false });
    await apples.set('x', { n: 1 });
    await pears.set('x', { n: 2 });
    await apples.set('y', 'why', 60_000);
    expect(await apples.get('x')).toEqual({ n: 1 });
    expect(await pears.get('x')).toEqual({ n: 2 });
    expect(await apples.has('y')).toBe(true);
    expect(await apples.get(['x', 'nope'])).toEqual([{ n: 1 }, undefined]);
    expect(log.keys().sort()).toEqual(['apples::x', 'apples::y', 'pears::x']);
    const store = apples.store as KeyvFileStore;
    const seen: unknown[] = [];
    for await (const [key] of store.iterator('apples')) seen.push(key);
    expect(seen.sort()).toEqual(['x', 'y']);
    await apples.clear();
    expect(await apples.get('x')).toBeUndefined();
    expect(await pears.get('x')).toEqual({ n: 2 });
    expect(await pears.delete(['x', 'nope'])).toBe(true);
    log.close();
  });
});
