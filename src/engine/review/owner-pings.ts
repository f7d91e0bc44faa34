import type { Chat, Clock, Logger, Message, MessageRef, Store } from '../ports/index.js';
import { pingTargets, type ReminderRules, reminderDue, waitsForOwners } from './ping-targets.js';
import type { ReviewRecord } from './records.js';

/**
 * Who was pinged about one commit, and when: the claim that keeps pings single across restarts
 * and replicas (written with `Store.update` before anything is sent).
 */
export interface PingRecord {
  sha: string;
  /** When the first ping went out. */
  pingedAt: number;
  /** Chat user → when pinged. */
  users: Record<string, number>;
  /** Slack user group → when mentioned. */
  groups: Record<string, number>;
  /** The last reminder: when, and on which calendar day of `approvals.timezone`. */
  remindedAt?: number;
  remindedOn?: string;
}

/** What a ping says; views live with the commands. */
export interface PingViews {
  /** One owner's private message: the commit, what of theirs changes, the buttons. */
  owner(input: {
    record: ReviewRecord;
    user: string;
    groups: readonly number[];
    other: readonly string[];
    link?: string;
    reminder: boolean;
  }): Message;
  /** The review's thread: the user groups owning part of it, mentioned. */
  groups(input: { record: ReviewRecord; groups: readonly string[]; reminder: boolean }): Message;
}

export interface OwnerPingDeps {
  chat: Chat;
  store: Store<PingRecord>;
  clock: Clock;
  logger: Logger;
  views: PingViews;
  /** The reviews waiting now (reminders walk them). */
  pending(): Promise<ReviewRecord[]>;
  reminders: ReminderRules;
  permalink?: (ref: MessageRef) => Promise<string | undefined>;
}

export interface OwnerPings {
  /** After a review is shown: pings each owner not pinged about the commit yet. */
  onReview(record: ReviewRecord): Promise<void>;
  /** The schedule's tick: reminds owners of reviews still waiting, once a day within the hours. */
  remind(): Promise<number>;
}

/** Long after any review is decided; the record only has to outlive the wait. */
const PING_TTL_MS = 30 * 86_400_000;

export const createOwnerPings = (deps: OwnerPingDeps): OwnerPings => {
  const { chat, logger } = deps;
  const fresh = (sha: string, at: number): PingRecord => ({ sha, pingedAt: at, users: {}, groups: {} });

  const linkOf = async (record: ReviewRecord) =>
    record.message && deps.permalink
      ? await deps.permalink(record.message).catch(() => undefined)
      : undefined;

  /** Sends what was claimed; a failed send is logged and not retried (a double ping is worse). */
  const send = async (
    record: ReviewRecord,
    users: readonly string[],
    groups: readonly string[],
    reminder: boolean,
  ) => {
    const targets = pingTargets(record);
    const link = await linkOf(record);
    for (const user of users) {
      const message = deps.views.owner({
        record,
        user,
        groups: targets.users.get(user) ?? [],
        other: targets.other.get(user) ?? [],
        reminder,
        ...(link ? { link } : {}),
      });
      await chat
        .direct(user, message)
        .catch((error: unknown) =>
          logger.warn({ err: error, user, sha: record.sha }, 'could not ping an owner'),
        );
    }
    if (groups.length === 0) return;
    const message = deps.views.groups({ record, groups, reminder });
    await (record.message
      ? chat.reply(record.message, message)
      : Promise.reject(new Error('no review message'))
    )
      .then(() => undefined)
      .catch((error: unknown) =>
        logger.warn({ err: error, sha: record.sha }, 'could not mention owner groups'),
      );
  };

  return {
    async onReview(record) {
      if (!waitsForOwners(record)) return;
      const targets = pingTargets(record);
      const now = deps.clock.now();
      // The last run of the change is the one stored: what it claimed is what this replica sends.
      let claimed = { users: [] as string[], groups: [] as string[] };
      await deps.store.update(
        record.sha,
        (current) => {
          const base = current ?? fresh(record.sha, now);
          const users = [...targets.users.keys()].filter((user) => base.users[user] === undefined);
          // Without a message to reply to, groups wait for the next showing.
          const groups = record.message
            ? targets.groups.filter((group) => base.groups[group] === undefined)
            : [];
          claimed = { users, groups };
          if (users.length === 0 && groups.length === 0) return undefined;
          return {
            ...base,
            users: { ...base.users, ...Object.fromEntries(users.map((user) => [user, now])) },
            groups: { ...base.groups, ...Object.fromEntries(groups.map((group) => [group, now])) },
          };
        },
        PING_TTL_MS,
      );
      if (claimed.users.length + claimed.groups.length > 0)
        logger.info({ sha: record.sha, ...claimed }, 'pinging owners');
      await send(record, claimed.users, claimed.groups, false);
    },
    async remind() {
      let reminded = 0;
      for (const record of await deps.pending()) {
        if (!waitsForOwners(record)) continue;
        const now = deps.clock.now();
        let due = false;
        await deps.store.update(record.sha, (current) => {
          due = false;
          if (!current) return undefined;
          const verdict = reminderDue(now, current, deps.reminders);
          if (!verdict.due) return undefined;
          due = true;
          return { ...current, remindedAt: now, remindedOn: verdict.day };
        });
        if (!due) continue;
        const targets = pingTargets(record);
        await send(record, [...targets.users.keys()], record.message ? targets.groups : [], true);
        reminded += 1;
      }
      return reminded;
    },
  };
};
