/**
 * Run by torn-append.test.ts inside its own mount namespace (`unshare -rm`), with a tiny tmpfs
 * mounted at argv[2]: fills the disk, lets an append fail part-way, frees space, appends again,
 * and prints what a reopened store reads as one JSON line.
 */
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FileLog } from '../../src/storage/file-log.js';

const mount = process.argv[2];
if (!mount) throw new Error('usage: full-disk-child.ts MOUNTPOINT');
const data = join(mount, 'data');
const warnings: string[] = [];
const options = {
  compactMinRecords: 1_000_000,
  onWarning: (_: object, message: string) => warnings.push(message),
};

const log = FileLog.open(data, options);
for (let i = 0; i < 20; i += 1) log.set(`r${i}`, `value ${i}`);
const goodSize = statSync(log.path).size;

// Fill the disk, then give back two pages: less room than the next record needs.
const filler = join(mount, 'filler');
const fd = openSync(filler, 'w');
const chunk = Buffer.alloc(4096, 1);
let filled = 0;
try {
  for (;;) filled += writeSync(fd, chunk);
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
}
closeSync(fd);
rmSync(filler);
const refill = openSync(filler, 'w');
writeSync(refill, Buffer.alloc(Math.max(0, filled - 8192), 1));
closeSync(refill);

let failure: string | undefined;
try {
  log.set('big', 'x'.repeat(64 * 1024));
} catch (error) {
  failure = (error as NodeJS.ErrnoException).code ?? String(error);
}
const sizeAfterFailure = statSync(log.path).size;
rmSync(filler);
log.set('next', 'intact');
log.close();

const reopened = FileLog.open(data, options);
const earlier = Array.from({ length: 20 }, (_, i) => reopened.get(`r${i}`));
process.stdout.write(
  `${JSON.stringify({
    failure,
    goodSize,
    sizeAfterFailure,
    earlier,
    big: reopened.get('big') === undefined ? null : 'present',
    next: reopened.get('next') ?? null,
    warnings,
  })}\n`,
);
reopened.close();
