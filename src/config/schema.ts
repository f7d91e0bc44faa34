import { z } from 'zod';
import { applySchema } from './apply-schema.js';
import { approvalsSchema } from './approvals-schema.js';
import { buildsSchema } from './builds-schema.js';
import { demoSchema } from './demo-schema.js';
import { duration } from './fields.js';
import { fleetSchema, puppetSchema, repoSchema } from './fleet-schema.js';
import { githubSchema } from './github-schema.js';
import { metricsSchema } from './metrics-schema.js';
import { permadiffsSchema } from './permadiffs-schema.js';
import { slackSchema } from './slack-schema.js';

const userId = z.string().regex(/^[A-Z0-9_]{2,40}$/, 'a chat user id such as U024BE7LH');
const userIds = z.array(userId);
/** What `useradd` accepts (plus a trailing `$` for machine accounts): no spaces, no slashes. */
const osUserName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\$?$/, 'an operating-system user name such as alice');

/**
 * heckler.yml. Strict objects everywhere: an unknown key is an error naming its path, because a
 * misspelt key silently ignored is how production configs go wrong.
 */
const configFileObject = z.strictObject({
  chat: z
    .strictObject({
      /** Channel for broadcasts (a Slack channel id; the shell just shows it). */
      channel: z.string().min(1).default('heckler'),
    })
    .default({ channel: 'heckler' }),
  /** Display names for user ids, used by the shell (`/as alice`) and in rendered text. */
  users: z.record(userId, z.string().regex(/^[a-z0-9._-]{1,40}$/i, 'a short name such as alice')).default({}),
  roles: z
    .strictObject({
      admins: userIds.default([]),
      appliers: userIds.default([]),
      approvers: userIds.default([]),
      builders: userIds.default([]),
    })
    .default({ admins: [], appliers: [], approvers: [], builders: [] }),
  shell: z
    .strictObject({
      /**
       * Operating-system user name → chat user id. Outside the demo the terminal acts as the chat
       * user of the OS account running it, and refuses to start for an account not listed here.
       */
      users: z.record(osUserName, userId).default({}),
      /**
       * Lets the terminal act as other chat users (`/as`, `--as`, `shell.user`). Off by default:
       * anyone with a terminal on the bot's host could otherwise approve or apply as an admin.
       */
      allowImpersonation: z.boolean().default(false),
      /** Who the terminal starts as: in the demo, or outside it with allowImpersonation. */
      user: userId.optional(),
    })
    .default({ users: {}, allowImpersonation: false }),
  storage: z
    .strictObject({
      /** Embedded store directory (used when REDIS_URL is not set), relative to the working directory. */
      dataDir: z.string().min(1).default('.heckler-data'),
      /** Prefix of every key, so several bots can share one Redis. */
      keyPrefix: z
        .string()
        .regex(/^[a-z0-9_-]{1,32}$/i)
        .default('heckler'),
    })
    .default({ dataDir: '.heckler-data', keyPrefix: 'heckler' }),
  slack: slackSchema,
  metrics: metricsSchema,
  /** The Puppet repository; without it the Puppet commands say how to configure one. */
  repo: repoSchema.optional(),
  puppet: puppetSchema,
  fleet: fleetSchema,
  approvals: approvalsSchema,
  apply: applySchema,
  builds: buildsSchema,
  /** The GitHub webhook (POST /github/webhook; its secret is GITHUB_WEBHOOK_SECRET). */
  github: githubSchema,
  permadiffs: permadiffsSchema,
  /** A demo Puppet repository and three local nodes, created at start (see demo-schema.ts). */
  demo: demoSchema.optional(),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    })
    .default({ level: 'info' }),
  /** Schedules (polling, the janitor) run on one bot of those sharing a Redis: the holder of a lease this long. */
  schedule: z
    .strictObject({
      /** Without a renewal the lease lapses after this long, and another bot takes over the schedules. */
      leaseTtl: duration('30s').refine((ms) => ms >= 1_000 && ms <= 3_600_000, 'between 1s and 1h'),
    })
    .prefault({}),
  /** Commands that make every node work (noop, status, nodes --check): at most `count` per user per `per`. */
  limits: z
    .strictObject({
      expensive: z
        .strictObject({ count: z.number().int().min(1).max(1000).default(6), per: duration('1m') })
        .prefault({}),
    })
    .prefault({}),
});

/** Choosing who the terminal is must be allowed out loud outside the demo (see shell.allowImpersonation). */
export const configFileSchema = configFileObject.superRefine((file, ctx) => {
  // A gate on builds that are never made would block every commit, for a reason no one can act on.
  for (const path of [['apply', 'requireBuild'] as const, ['approvals', 'requireBuild'] as const])
    if (file[path[0]].requireBuild && !file.repo?.build)
      ctx.addIssue({
        code: 'custom',
        path: [...path],
        input: true,
        message:
          'needs repo.build: true (or a pipeline name), so that each reviewed commit is built from its own ocelot.yml',
      });
  if (file.demo || file.shell.allowImpersonation || file.shell.user === undefined) return;
  ctx.addIssue({
    code: 'custom',
    path: ['shell', 'user'],
    input: file.shell.user,
    message:
      'choosing who the terminal starts as needs shell.allowImpersonation: true outside the demo ' +
      "(or remove shell.user: the terminal then acts as the OS user's chat user from shell.users)",
  });
});

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Secrets come only from the environment, never from heckler.yml. */
export interface Secrets {
  slackBotToken?: string;
  slackSigningSecret?: string;
  slackAppToken?: string;
  redisUrl?: string;
  githubToken?: string;
  /** GITHUB_WEBHOOK_SECRET: verifies `X-Hub-Signature-256`; unset, POST /github/webhook is not served. */
  githubWebhookSecret?: string;
  /** Repository name → `builds.repos[].secretEnv` names and their values, read from the environment. */
  buildEnv?: Record<string, Record<string, string>>;
  /** Registry host → credentials, the password read from the variable `builds.registries` names. */
  registry?: Record<string, { username: string; password: string }>;
}

export type Role = 'admin' | 'applier' | 'approver' | 'builder';

export interface Config extends ConfigFile {
  /** Absolute path of the file this was read from. */
  path: string;
  /** As in the file, with `dir` made absolute (against the working directory). */
  demo?: { dir: string };
  secrets: Secrets;
  /** What child processes (git, set commands) may see of our environment: PATH, HOME, SSH_AUTH_SOCK. */
  childEnv: Readonly<Record<string, string>>;
  /** The user `--as` names (a name from `users` or an id); the shell decides whether it may. */
  actAs?: string;
  /** 'slack' when Slack credentials are present (and --shell was not given), else 'shell'. */
  mode: 'slack' | 'shell';
}
