import * as fs from 'node:fs';
import { dirname } from 'node:path';

/**
 * The synchronous file calls the embedded store and the build log files make. Production uses
 * node:fs; tests pass a wrapper to inject failures at this boundary (a disk that fills up
 * half-way through a write).
 */
export type SyncFs = Pick<
  typeof fs,
  | 'closeSync'
  | 'fstatSync'
  | 'fsyncSync'
  | 'ftruncateSync'
  | 'linkSync'
  | 'mkdirSync'
  | 'openSync'
  | 'readFileSync'
  | 'readdirSync'
  | 'renameSync'
  | 'truncateSync'
  | 'unlinkSync'
  | 'writeSync'
>;

export const nodeFs: SyncFs = fs;

/** Writes every byte, looping over short writes (a disk that fills up writes part of a buffer). */
export const writeAll = (io: SyncFs, fd: number, bytes: Uint8Array): void => {
  for (let offset = 0; offset < bytes.length; ) offset += io.writeSync(fd, bytes, offset);
};

/**
 * Appends `bytes` to a file opened for appending whose complete content ends at `goodLength`. When
 * the write fails part-way (disk full, I/O error) the file is cut back to `goodLength`, so the
 * partial record cannot glue itself to the next one. Returns the new good length.
 *
 * Throws the write's error; when even the cut fails, throws a `TornAppend` that says so, and the
 * caller must not append again before `ftruncate(fd, goodLength)` has succeeded.
 */
export const appendOrCutBack = (io: SyncFs, fd: number, goodLength: number, bytes: Uint8Array): number => {
  try {
    writeAll(io, fd, bytes);
    return goodLength + bytes.length;
  } catch (error) {
    try {
      io.ftruncateSync(fd, goodLength);
    } catch (cutError) {
      throw new TornAppend(error, cutError);
    }
    throw error;
  }
};

export class TornAppend extends Error {
  constructor(writeError: unknown, cutError: unknown) {
    super(
      `a write failed (${messageOf(writeError)}) and the partial record could not be cut off (${messageOf(cutError)})`,
      { cause: writeError },
    );
    this.name = 'TornAppend';
  }
}

/** After a rename, the directory entry itself must reach the disk, or a power loss can undo the rename. */
export const fsyncDirOf = (io: SyncFs, path: string): void => {
  const fd = io.openSync(dirname(path), 'r');
  try {
    io.fsyncSync(fd);
  } finally {
    io.closeSync(fd);
  }
};

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
