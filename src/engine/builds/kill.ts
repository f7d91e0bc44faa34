import { HecklerError } from '../errors.js';
import { escapeText } from '../text/mrkdwn.js';
import type { BuildQueue } from './queue.js';
import { type BuildRecord, type BuildRecords, isFinished } from './records.js';

export interface Killed {
  build: BuildRecord;
  /** False when it had already finished: nothing was stopped. */
  stopped: boolean;
}

/**
 * `/heckler kill ID|SHA`: a build number, or every queued or running build of a commit (a SHA
 * prefix). Digits are a build number first; a SHA prefix of digits only is looked up when no
 * build has that number.
 */
export const killBuilds = async (
  { records, queue }: { records: BuildRecords; queue: BuildQueue },
  target: string,
  by: string,
): Promise<Killed[]> => {
  const stop = async (build: BuildRecord): Promise<Killed> =>
    isFinished(build.status)
      ? { build, stopped: false }
      : { build: await queue.kill(build.id, by), stopped: true };
  if (/^\d+$/.test(target)) {
    const record = await records.get(Number(target));
    if (record) return [await stop(record)];
  }
  const all = /^[0-9a-f]{4,40}$/i.test(target) ? await records.list({ sha: target.toLowerCase() }) : [];
  const active = all.filter((build) => !isFinished(build.status));
  if (active.length > 0) return Promise.all(active.map(stop));
  if (all[0]) return [{ build: all[0], stopped: false }];
  throw new HecklerError('NOT_FOUND', `there is no build with id or SHA ${escapeText(target)}`, {
    hint: '`/heckler builds` lists recent builds',
  });
};
