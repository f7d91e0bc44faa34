import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildLogText, createBuildLogs, type StageLog } from '../../src/engine/builds/log.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { createLogFiles, withBuildLogFiles } from '../../src/storage/log-files.js';

const root = mkdtempSync(join(tmpdir(), 'heckler-logfiles-'));
let dirs = 0;
const freshDir = () => join(root, `d${++dirs}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** About 200 KiB of output that says which build and stage it is. */
const output = (build: number, stage: string) => `build ${build} ${stage} says hello\n`.repeat(8_000);
const storeSize = (dataDir: string) => statSync(join(dataDir, 'store.jsonl')).size;

/** The build service's view of the storage, as compose/builds.ts wires it. */
const openBuilds = async (dataDir: string, storage: Storage) => {
  const moved: object[] = [];
  const view = await withBuildLogFiles(storage, join(dataDir, 'build-logs'), {
    info: (details) => moved.push(details),
  });
  return {
    logs: createBuildLogs(view.store<StageLog>('build-logs')),
    records: view.store<object>('builds'),
    moved,
  };
};

describe('build logs beside the embedded store', () => {
  it('stay out of the compacted store log, in one append-only file per build', async () => {
    const dataDir = freshDir();
    const storage = await createStorage({ dataDir, keyPrefix: 'heckler', compactMinRecords: 50 });
    const { logs, records } = await openBuilds(dataDir, storage);
    for (let build = 1; build <= 8; build += 1) {
      await records.set(String(build), { id: build, status: 'running' });
      for (const stage of ['build#1', 'test#2']) await logs.save(build, stage, output(build, stage));
      for (let update = 0; update < 20; update += 1) await records.set(String(build), { id: build, update });
    }
    // 168 record writes: compaction has run, and the 3.3 MB of logs were never in the store log.
    expect(storeSize(dataDir)).toBeLessThan(4 * 1024);
    expect(readFileSync(join(dataDir, 'store.jsonl'), 'utf8')).not.toContain('says hello');
    expect(statSync(join(dataDir, 'build-logs', '3.log')).size).toBeGreaterThan(
      2 * output(3, 'test#2').length,
    );
    expect(await logs.read(3, 'test#2')).toBe(output(3, 'test#2'));
    await storage.close();

    const reopened = await createStorage({ dataDir, keyPrefix: 'heckler' });
    const again = await openBuilds(dataDir, reopened);
    const text = await buildLogText(again.logs, {
      id: 5,
      stages: [
        { key: 'build#1', status: 'passed' },
        { key: 'test#2', status: 'failed' },
      ],
    } as never);
    expect(text).toBe(
      `== build#1 (passed) ==\n${output(5, 'build#1')}== test#2 (failed) ==\n${output(5, 'test#2')}`,
    );
    expect(again.moved).toEqual([]);
    await reopened.close();
  });

  it('moves logs an older version kept in the store into files, so compaction drops them', async () => {
    const dataDir = freshDir();
    const before = await createStorage({ dataDir, keyPrefix: 'heckler' });
    const old = createBuildLogs(before.store<StageLog>('build-logs'));
    await old.save(1, 'build#1', output(1, 'build#1'));
    await old.save(2, 'build#1', output(2, 'build#1'));
    await before.close();
    expect(storeSize(dataDir)).toBeGreaterThan(2 * output(1, 'build#1').length);

    const after = await createStorage({ dataDir, keyPrefix: 'heckler', compactMinRecords: 10 });
    const { logs, records, moved } = await openBuilds(dataDir, after);
    expect(moved).toEqual([{ moved: 2, dir: join(dataDir, 'build-logs') }]);
    for (let update = 0; update < 40; update += 1) await records.set('1', { update });
    expect(storeSize(dataDir)).toBeLessThan(1024);
    expect(await logs.read(2, 'build#1')).toBe(output(2, 'build#1'));
    await after.close();
  });

  it('stay in Redis when the store is Redis', async () => {
    const storage = await createStorage({
      redisUrl: inject('redisUrl'),
      keyPrefix: `t${randomUUID().slice(0, 8)}`,
      dataDir: freshDir(),
    });
    const view = await withBuildLogFiles(storage, join(root, 'never'), undefined);
    expect(view).toBe(storage);
    await createBuildLogs(view.store<StageLog>('build-logs')).save(1, 'build#1', 'hi');
    expect(await storage.store<StageLog>('build-logs').get('1/build#1')).toEqual({
      build: 1,
      key: 'build#1',
      text: 'hi',
    });
    expect(existsSync(join(root, 'never'))).toBe(false);
    await storage.close();
  });
});

describe('the log files', () => {
  it('keep the last save of a stage, delete, list, and ignore and then cut a torn tail', async () => {
    const dir = freshDir();
    const files = createLogFiles({ dir });
    await files.set('7/build#1', { build: 7, key: 'build#1', text: 'first try\n' });
    await files.set('7/build#1', { build: 7, key: 'build#1', text: 'second try\n' });
    await files.set('7/test#2', { build: 7, key: 'test#2', text: 'ünï\ncødé' });
    await files.set('8/build#1', { build: 8, key: 'build#1', text: '' });
    expect(await files.get('7/build#1')).toEqual({ build: 7, key: 'build#1', text: 'second try\n' });
    expect(await files.get('7/test#2')).toMatchObject({ text: 'ünï\ncødé' });
    expect(await files.get('8/build#1')).toMatchObject({ text: '' });
    expect(await files.get('9/build#1')).toBeUndefined();
    expect(await files.delete('7/test#2')).toBe(true);
    expect(await files.delete('7/test#2')).toBe(false);
    const listed: string[] = [];
    for await (const [id] of files.entries()) listed.push(id);
    expect(listed.sort()).toEqual(['7/build#1', '8/build#1']);
    // An operator can read the file as it is.
    expect(readFileSync(join(dir, '7.log'), 'utf8')).toContain(
      '{"key":"build#1","bytes":11}\nsecond try\n\n',
    );

    appendFileSync(join(dir, '7.log'), '{"key":"deploy#3","bytes":500}\npartial out');
    expect(await files.get('7/deploy#3')).toBeUndefined();
    await files.set('7/deploy#3', { build: 7, key: 'deploy#3', text: 'whole\n' });
    expect(await files.get('7/deploy#3')).toMatchObject({ text: 'whole\n' });
    expect(await files.get('7/build#1')).toMatchObject({ text: 'second try\n' });
    expect(readFileSync(join(dir, '7.log'), 'utf8')).not.toContain('partial out');
    await expect(files.set('7/other', { build: 7, key: 'build#1', text: 'x' })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
  });
});
