import { z } from 'zod';
import { checkCron, checkTimeZone } from '../adapters/schedule/cron.js';
import { duration } from './fields.js';

/** A cron expression as bree runs it (five fields, or six with seconds first). */
const cronExpression = z
  .string()
  .default('0 9 * * 1-5')
  .superRefine((text, ctx) => {
    const check = checkCron(text);
    if (!check.ok)
      ctx.addIssue({
        code: 'custom',
        message: `not a cron expression (${check.errors.map((e) => e.replace(/ \(Input cron: .*\)$/, '')).join('; ')}); expected five fields such as "0 9 * * 1-5" (09:00 on weekdays)`,
        input: text,
      });
  });

const timeZone = z
  .string()
  .default('UTC')
  .refine(checkTimeZone, 'an IANA time zone such as Europe/Berlin, America/New_York or UTC');

/** The scheduled digest: one message with the standing permadiffs, what is new and resolved. */
export const digestSchema = z.strictObject({
  /** When it is posted, on the wall clock of `timezone`. */
  cron: cronExpression,
  timezone: timeZone,
  /** Channel id or name; `chat.channel` when absent. */
  channel: z.string().min(1).max(80).optional(),
});

/** The permadiff scan: how often every node is nooped at its applied revision, and when a change counts. */
export const permadiffsSchema = z
  .strictObject({
    /** How often the scan runs (on the bot holding the scheduler lease); at least a minute. */
    scanEvery: duration('6h').refine((ms) => ms >= 60_000, 'at least 1m'),
    /** Scans in a row a change must be seen on a node before it is called a permadiff. */
    minRuns: z.number().int().min(1).max(100).default(2),
    /** Absent: no scheduled digest (`/heckler digest` still posts one on demand). */
    digest: digestSchema.optional(),
    /** With each digest, owners mapped to chat users get their own groups privately. */
    notifyOwners: z.boolean().default(false),
  })
  .prefault({});

export type PermadiffSettings = z.infer<typeof permadiffsSchema>;
export type DigestSettings = z.infer<typeof digestSchema>;
