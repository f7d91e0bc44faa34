import { z } from 'zod';
import { applySchema } from './apply-schema.js';
import { approvalsSchema } from './approvals-schema.js';
import { buildsSchema } from './builds-schema.js';
import { demoSchema } from './demo-schema.js';
import { fleetSchema, puppetSchema, repoSchema } from './fleet-schema.js';

const userId = z.string().regex(/^[A-Z0-9_]{2,40}$/, 'a chat user id such as U024BE7LH');
const userIds = z.array(userId);

/**
 * heckler.yml. Strict objects everywhere: an unknown key is an error naming its path, because a
 * misspelt key silently ignored is how production configs go wrong.
 */
export const configFileSchema = z.strictObject({
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
      /** The user the terminal session acts as until `/as` switches. */
      user: userId.optional(),
    })
    .default({}),
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
  slack: z
    .strictObject({
      /** Interface the HTTP receiver binds (HTTP mode); 127.0.0.1 when a proxy on this host fronts it. */
      host: z.string().min(1).default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(3000),
      path: z.string().startsWith('/').default('/slack/events'),
    })
    .default({ host: '0.0.0.0', port: 3000, path: '/slack/events' }),
  /** The Puppet repository; without it the Puppet commands say how to configure one. */
  repo: repoSchema.optional(),
  puppet: puppetSchema,
  fleet: fleetSchema,
  approvals: approvalsSchema,
  apply: applySchema,
  builds: buildsSchema,
  /** A demo Puppet repository and three local nodes, created at start (see demo-schema.ts). */
  demo: demoSchema.optional(),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    })
    .default({ level: 'info' }),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Secrets come only from the environment, never from heckler.yml. */
export interface Secrets {
  slackBotToken?: string;
  slackSigningSecret?: string;
  slackAppToken?: string;
  redisUrl?: string;
  githubToken?: string;
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
  /** 'slack' when Slack credentials are present (and --shell was not given), else 'shell'. */
  mode: 'slack' | 'shell';
}
