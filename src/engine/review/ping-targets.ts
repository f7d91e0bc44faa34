import { groupsNeedingApproval } from '../delta/index.js';
import { USER_ID, usergroupOf } from '../text/mrkdwn.js';
import { coveredNodes, excludedOf, type PartOwnership, type ReviewRecord, reviewStatus } from './records.js';

/**
 * Who a waiting review pings, as pure rules: every mapped owner of any part of it (each sees the
 * parts that are theirs), never a writer of the commit; user groups are mentioned, not messaged.
 */
export interface PingTargets {
  /** Chat user → indexes (in `groupsNeedingApproval` order) of the change groups they own. */
  users: Map<string, number[]>;
  /** Slack user group ids owning some part. */
  groups: string[];
  /** Whether they own evaluation errors or CODEOWNERS itself (not a change group). */
  other: Map<string, string[]>;
}

/** Waits for owners: pending, and some node produced a noop (nothing to approve otherwise). */
export const waitsForOwners = (record: ReviewRecord): boolean =>
  reviewStatus(record) === 'pending' && coveredNodes(record).covered > 0;

const partsOf = (record: ReviewRecord, index: number): PartOwnership[] => {
  const own = record.groupOwners[index];
  return record.partOwners?.[index] ?? (own ? [{ ...own, of: 'this change' }] : []);
};

export const pingTargets = (record: ReviewRecord): PingTargets => {
  const excluded = new Set(excludedOf(record));
  const users = new Map<string, number[]>();
  const other = new Map<string, string[]>();
  const groups = new Set<string>();
  const add = (owner: string, to: (id: string) => void) => {
    const group = usergroupOf(owner);
    if (group !== undefined) groups.add(group);
    // Owners come from config as user ids; anything else is never a conversation to open.
    else if (USER_ID.test(owner) && !excluded.has(owner)) to(owner);
  };
  const count = groupsNeedingApproval(record.grouped).length;
  for (let index = 0; index < count; index += 1)
    for (const part of partsOf(record, index))
      for (const owner of part.owners)
        add(owner, (id) => {
          const list = users.get(id) ?? [];
          if (!list.includes(index)) list.push(index);
          users.set(id, list);
        });
  const extra = (what: string, owners: readonly string[]) => {
    for (const owner of owners)
      add(owner, (id) => {
        users.set(id, users.get(id) ?? []);
        other.set(id, [...new Set([...(other.get(id) ?? []), what])]);
      });
  };
  for (const error of record.evalOwners) extra('an evaluation error', error.owners);
  if (record.codeownersOwners) extra('CODEOWNERS', record.codeownersOwners.owners);
  return { users, groups: [...groups].sort(), other };
};

/** The wall clock of a time zone: its calendar day (`2026-12-02`) and hour (0–23). */
export const wallClock = (at: number, timeZone: string): { day: string; hour: number } => {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(at));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: `${part('year')}-${part('month')}-${part('day')}`, hour: Number(part('hour')) };
};

export interface ReminderRules {
  afterMs: number;
  hours: { from: number; to: number };
  timeZone: string;
}

/**
 * Whether a review first pinged at `pingedAt` (last reminded at `remindedAt`, on `remindedOn`) is
 * reminded of at `now`: `afterMs` since the last ping, within the hours, and once a calendar day.
 */
export const reminderDue = (
  now: number,
  ping: { pingedAt: number; remindedAt?: number; remindedOn?: string },
  rules: ReminderRules,
): { due: false } | { due: true; day: string } => {
  const { day, hour } = wallClock(now, rules.timeZone);
  if (hour < rules.hours.from || hour >= rules.hours.to) return { due: false };
  if (ping.remindedOn === day) return { due: false };
  if (now - (ping.remindedAt ?? ping.pingedAt) < rules.afterMs) return { due: false };
  return { due: true, day };
};
