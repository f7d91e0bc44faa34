import type { NodeLock } from '../locks/node-locks.js';
import { formatDuration } from '../text/duration.js';
import { escapeText } from '../text/mrkdwn.js';
import { applyOwner } from './lock-plan.js';
import type { ApplyRecord } from './records.js';

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/**
 * Whether apply `id` still holds a node lock: the bot running it renews its locks every third of
 * their expiry, so a held one means that bot is alive (another replica), and its apply is left
 * alone. A dead bot's locks run out within `apply.lockTtl`; the next reconcile marks it.
 */
export const heldByLiveApply = (id: number, locks: readonly NodeLock[], now: number): boolean =>
  locks.some((lock) => lock.owner === applyOwner(id) && lock.expiresAt > now);

/**
 * An apply a stopped bot left running, marked interrupted: nodes it was applying may be part-way;
 * its node locks are not ours to release (we lack their tokens) and expire by themselves, and
 * the note says when. Mutates the record.
 */
export const interruptLeftover = (record: ApplyRecord, locks: readonly NodeLock[], now: number): void => {
  const theirs = locks.filter((lock) => lock.owner === applyOwner(record.id));
  const until = Math.max(0, ...theirs.map((lock) => lock.expiresAt));
  const results = record.stages.flatMap((stage) => stage.nodes);
  const running = results.filter((result) => result.status === 'running');
  for (const result of running) result.status = 'interrupted';
  for (const result of results)
    if (result.status === 'pending') Object.assign(result, { status: 'not_run', error: 'the bot stopped' });
  for (const stage of record.stages) {
    if (stage.status === 'running') stage.status = 'stopped';
    if (stage.status === 'pending') stage.status = 'not_run';
  }
  const names = escapeText(running.map((result) => result.node).join(', '));
  const where =
    running.length > 0
      ? `; ${names} ${running.length === 1 ? 'was' : 'were'} being applied and may be part-way (\`/heckler status\`)`
      : '';
  const lockWords =
    theirs.length > 0
      ? `its locks on ${escapeText(theirs.map((lock) => lock.node).join(', '))} were held by the stopped bot and expire by themselves at ${hhmm(until)} UTC (in ${formatDuration(until - now)})`
      : 'its node locks were held by the stopped bot and have expired';
  Object.assign(record, {
    status: 'interrupted',
    finishedAt: now,
    note: `the bot stopped while this apply ran${where}; ${lockWords}`,
  });
};
