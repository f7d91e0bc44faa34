import { z } from 'zod';
import { checkTimeZone } from '../adapters/schedule/cron.js';
import { groupOwner } from '../engine/text/mrkdwn.js';
import { duration } from './fields.js';

const userId = z.string().regex(/^[A-Z0-9_]{2,40}$/, 'a chat user id such as U024BE7LH');

/** A resource whose changes are shown collapsed and never need approval (noise people agreed on). */
const ignoreRule = z
  .strictObject({
    type: z.string().regex(/^[A-Z][\w:]*$/, 'a Puppet resource type such as File or Exec'),
    title: z.string().min(1).optional(),
    /** A regular expression over titles, e.g. `^/var/cache/`. */
    titlePattern: z
      .string()
      .min(1)
      .refine(
        (source) => {
          try {
            new RegExp(source);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'expected a valid regular expression' },
      )
      .optional(),
    purpose: z.string().min(3),
    rationale: z.string().min(3),
  })
  .refine((rule) => !(rule.title && rule.titlePattern), {
    message: 'expected title or titlePattern, not both',
  });

/**
 * A CODEOWNERS team mapped to a Slack user group: the group is mentioned where its owners are
 * (pings, the review), and `users` (optional) are the members who may approve and get a private
 * ping. Held as the users plus the group's owner entry (`subteam^S0123`), which no user can be.
 */
const usergroupOwner = z
  .strictObject({
    usergroup: z.string().regex(/^S[A-Z0-9]{2,40}$/, 'a Slack user group id such as S0123ABC'),
    users: z.array(userId).default([]),
  })
  .transform((group) => [...group.users, groupOwner(group.usergroup)]);

/** `9-17`: from 09:00 up to 17:00 (hours 0–24, from before to). */
const hourRange = z
  .string()
  .default('9-17')
  .transform((text, ctx) => {
    const match = /^(\d{1,2})-(\d{1,2})$/.exec(text.trim());
    const from = Number(match?.[1]);
    const to = Number(match?.[2]);
    if (!match || from > 23 || to > 24 || from >= to) {
      ctx.addIssue({
        code: 'custom',
        message:
          'expected hours such as "9-17" (from 09:00 up to 17:00; 0 to 24, the first before the second)',
        input: text,
      });
      return z.NEVER;
    }
    return { from, to };
  });

export const approvalsSchema = z
  .strictObject({
    /**
     * CODEOWNERS names → chat users: `'@alice': U0ALICE`, `'@org/infra': [U0ALICE, U0BOB]`, or a
     * Slack user group: `'@org/infra': { usergroup: S0123, users: [U0ALICE] }`.
     */
    owners: z
      .record(
        z
          .string()
          .regex(/^@[\w./-]+$|^[^@\s]+@[^@\s]+$/, 'a CODEOWNERS owner such as @alice, @org/team or an email'),
        z.union([userId, z.array(userId), usergroupOwner]),
      )
      .default({}),
    /** Owners still undecided on a review this long after their ping are pinged again (once a day at most). */
    remindAfter: duration('4h'),
    /** Reminders go out only within these hours of `timezone` ("9-17"). */
    remindHours: hourRange,
    /** The time zone of `remindHours` (IANA name). */
    timezone: z
      .string()
      .default('UTC')
      .refine(checkTimeZone, 'an IANA time zone such as Europe/Berlin, America/New_York or UTC'),
    /** Commit author emails → chat users, for mentions and so authors cannot approve their own commits. */
    people: z.record(z.string().regex(/^[^@\s]+@[^@\s]+$/, 'an email address'), userId).default({}),
    ignore: z.array(ignoreRule).default([]),
    /** Where commit messages go; defaults to chat.channel. */
    channel: z.string().min(1).optional(),
    /** Commits already on the branch when Heckler first starts are not nooped; this many of the newest are. */
    backfill: z.number().int().min(0).max(50).default(0),
    /** New commits reviewed per poll at most: a push of 10,000 commits does not start 10,000 fleet noops at once. */
    reviewsPerPoll: z.number().int().min(1).max(500).default(20),
    /** A push of more new commits than this gets one summary message instead of a message per commit. */
    summarizeOver: z.number().int().min(1).max(1000).default(10),
    /**
     * Refuse to approve a commit unless GitHub verifies its signature (needs repo.github, or a
     * github.com repo.url, and GITHUB_TOKEN).
     */
    requireVerified: z.boolean().default(false),
    /** No Approve button, and typed approvals refused, until the commit's build passed (repo.build). */
    requireBuild: z.boolean().default(false),
  })
  .prefault({});
