import { z } from 'zod';

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

export const approvalsSchema = z
  .strictObject({
    /** CODEOWNERS names → chat users: `'@alice': U0ALICE`, `'@org/infra': [U0ALICE, U0BOB]`. */
    owners: z
      .record(
        z
          .string()
          .regex(/^@[\w./-]+$|^[^@\s]+@[^@\s]+$/, 'a CODEOWNERS owner such as @alice, @org/team or an email'),
        z.union([userId, z.array(userId)]),
      )
      .default({}),
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
