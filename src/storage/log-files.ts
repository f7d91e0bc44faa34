import { join } from 'node:path';
import type { Locks, Store } from '../engine/ports/store.js';
import type { Storage } from './keyv.js';
import { inProcessAtomics } from './memory-store.js';
import { appendOrCutBack, nodeFs, type SyncFs } from './sync-fs.js';
import { guard } from './unavailable.js';

/** One stage's log, as the build engine stores it (`StageLog` in engine/builds/log.ts). */
export interface LogPart {
  build: number;
  key: string;
  text: string;
}

/** The namespace the build service keeps stage logs in. */
export const BUILD_LOGS = 'build-logs';

interface Frame {
  key: string;
  /** Where the text starts and how long it is, in the file's bytes. */
  start: number;
  bytes: number;
  deleted: boolean;
}

/**
 * Build logs as files beside the embedded store, so its log (which is replayed at start and
 * rewritten by compaction) holds records only. One append-only file per build, `<dir>/<build>.log`:
 * each stage is a header line `{"key":"build#2","bytes":1234}` followed by that many bytes of text
 * and a newline, so an operator can read the file as it is. Saving a stage again appends it again
 * and the last one wins; a delete appends `{"key":…,"bytes":0,"d":1}`. The size cap is the build
 * engine's, as before (the text arrives capped).
 *
 * A torn tail (a crash or a full disk mid-append) is ignored on read and cut off before the next
 * append. The files live under the data directory the embedded store has locked: one process only.
 * Ids are the engine's, `<build>/<stage key>`; TTLs are not supported (build logs are given none).
 */
export const createLogFiles = ({ dir, fs = nodeFs }: { dir: string; fs?: SyncFs }): Store<LogPart> => {
  const failure = {
    what: `the build log files in ${dir}`,
    hint: `Check that ${dir} is writable and the disk is not full.`,
  };
  const fileOf = (build: number) => join(dir, `${build}.log`);

  const read = (build: number): { buffer: Buffer; frames: Frame[]; good: number } => {
    let buffer: Buffer;
    try {
      buffer = fs.readFileSync(fileOf(build));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { buffer: Buffer.alloc(0), frames: [], good: 0 };
      throw error;
    }
    const frames: Frame[] = [];
    let good = 0;
    for (;;) {
      const frame = frameAt(buffer, good);
      if (!frame) break;
      frames.push(frame);
      good = frame.start + frame.bytes + 1;
    }
    return { buffer, frames, good };
  };

  const latest = (build: number, key: string): string | undefined => {
    const { buffer, frames } = read(build);
    const frame = frames.findLast((f) => f.key === key);
    return frame && !frame.deleted
      ? buffer.toString('utf8', frame.start, frame.start + frame.bytes)
      : undefined;
  };

  const append = (build: number, key: string, text: string, deleted = false): void => {
    fs.mkdirSync(dir, { recursive: true });
    const { good } = read(build);
    const body = Buffer.from(text, 'utf8');
    const header = JSON.stringify(deleted ? { key, bytes: 0, d: 1 } : { key, bytes: body.length });
    const fd = fs.openSync(fileOf(build), 'a');
    try {
      // A torn tail left by a crash is cut off first, or this frame would be unreadable after it.
      if (fs.fstatSync(fd).size !== good) fs.ftruncateSync(fd, good);
      appendOrCutBack(fs, fd, good, Buffer.concat([Buffer.from(`${header}\n`), body, Buffer.from('\n')]));
    } finally {
      fs.closeSync(fd);
    }
  };

  const base: Pick<Store<LogPart>, 'get' | 'set'> = {
    get: (id) =>
      guard(failure, async () => {
        const parsed = parseId(id);
        if (!parsed) return undefined;
        const text = latest(parsed.build, parsed.key);
        return text === undefined ? undefined : { ...parsed, text };
      }),
    set: (id, value) =>
      guard(failure, async () => {
        const parsed = parseId(id);
        if (!parsed || parsed.build !== value.build || parsed.key !== value.key) {
          throw new RangeError(`a build log id is <build>/<stage key>, matching the log; got ${id}`);
        }
        append(value.build, value.key, value.text);
      }),
  };
  return {
    ...base,
    ...inProcessAtomics(base),
    delete: (id) =>
      guard(failure, async () => {
        const parsed = parseId(id);
        if (!parsed || latest(parsed.build, parsed.key) === undefined) return false;
        append(parsed.build, parsed.key, '', true);
        return true;
      }),
    entries: async function* () {
      const names = await guard(failure, async () => {
        try {
          return fs.readdirSync(dir);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
          throw error;
        }
      });
      for (const name of names) {
        const match = /^(\d+)\.log$/.exec(name);
        if (!match) continue;
        const build = Number(match[1]);
        const { buffer, frames } = await guard(failure, async () => read(build));
        const last = new Map(frames.map((frame) => [frame.key, frame]));
        for (const [key, frame] of last) {
          if (frame.deleted) continue;
          const text = buffer.toString('utf8', frame.start, frame.start + frame.bytes);
          yield [`${build}/${key}`, { build, key, text }];
        }
      }
    },
  };
};

/** The complete frame at `offset`, or undefined at the end or at a torn or unreadable tail. */
const frameAt = (buffer: Buffer, offset: number): Frame | undefined => {
  const newline = buffer.indexOf(0x0a, offset);
  if (newline < 0) return undefined;
  let header: { key?: unknown; bytes?: unknown; d?: unknown };
  try {
    header = JSON.parse(buffer.toString('utf8', offset, newline));
  } catch {
    return undefined;
  }
  const { key, bytes } = header;
  if (typeof key !== 'string' || typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0)
    return undefined;
  const start = newline + 1;
  if (start + bytes >= buffer.length || buffer[start + bytes] !== 0x0a) return undefined;
  return { key, start, bytes, deleted: header.d === 1 };
};

const parseId = (id: string): { build: number; key: string } | undefined => {
  const match = /^(\d+)\/(.+)$/s.exec(id);
  return match ? { build: Number(match[1]), key: match[2] as string } : undefined;
};

/** What the build service needs of a storage (its `storage` option). */
export interface BuildStorage {
  store<T>(namespace: string): Store<T>;
  locks: Locks;
}

/**
 * The storage the build service should use. With Redis, the storage itself (logs stay in Redis,
 * which every replica shares). With the embedded store, the same storage except that build logs
 * go to files in `dir`; logs an older version kept in the store are moved there first, so the
 * store's next compaction drops them.
 */
export const withBuildLogFiles = async (
  storage: Storage,
  dir: string,
  logger?: { info(details: object, message: string): void },
): Promise<BuildStorage> => {
  if (storage.kind !== 'embedded') return storage;
  const files = createLogFiles({ dir });
  const old = storage.store<LogPart>(BUILD_LOGS);
  let moved = 0;
  for await (const [id, part] of old.entries()) {
    await files.set(id, part);
    await old.delete(id);
    moved += 1;
  }
  if (moved > 0) logger?.info({ moved, dir }, 'moved build logs out of the embedded store into files');
  return {
    store: <T>(namespace: string) =>
      (namespace === BUILD_LOGS ? files : storage.store<T>(namespace)) as Store<T>,
    locks: storage.locks,
  };
};
