import { z } from 'zod';
import { githubRepoOf, githubWebHost } from '../engine/builds/status-reporter.js';
import { githubApiUrl, githubRepoName } from './builds-schema.js';
import { duration, nodeName } from './fields.js';

/**
 * The Puppet code repository the bot mirrors. With `github`, and GITHUB_TOKEN set, Heckler asks
 * GitHub who made each commit and whether its signature is verified (approvals.requireVerified).
 */
export const repoSchema = z
  .strictObject({
    /** A path or URL git can clone (file://, ssh://, https://). */
    url: z.string().min(1),
    /** The one branch whose commits are nooped. */
    branch: z
      .string()
      .regex(/^[\w./-]{1,100}$/, 'a branch name')
      .default('main'),
    /** Where the mirror lives; defaults to `<storage.dataDir>/mirror`. */
    mirrorDir: z.string().min(1).optional(),
    fetchEvery: duration('1m'),
    /**
     * Build every reviewed commit from its own ocelot.yml (the builds' runner, watched as `puppet`):
     * `true` builds each pipeline, a name builds that pipeline only. The review shows the build;
     * `apply.requireBuild` and `approvals.requireBuild` make it a gate.
     */
    build: z
      .union([z.boolean(), z.string().regex(/^[\w.-]{1,64}$/, 'a pipeline name of ocelot.yml')])
      .default(false),
    /** The same repository on GitHub. */
    github: z
      .strictObject({
        /** Its `owner/name`; may be left out when `url` is a github.com URL. */
        repo: githubRepoName.optional(),
        apiUrl: githubApiUrl,
      })
      .optional(),
  })
  .check((ctx) => {
    // Only a section that is otherwise valid: a misspelt `repo` key is reported once, as itself.
    const { github, url } = ctx.value;
    if (ctx.issues.length > 0 || !github || github.repo || githubRepoOf(url, webHosts(github.apiUrl))) return;
    ctx.issues.push({
      code: 'custom',
      path: ['github', 'repo'],
      message: 'expected the GitHub owner/repo (repo.url is not a github.com URL)',
      input: github.repo,
    });
  });

export type RepoConfig = z.output<typeof repoSchema>;

/** github.com, and a GitHub Enterprise host named by `apiUrl`: its URLs need no `repo.github.repo`. */
const webHosts = (apiUrl: string | undefined): string[] => {
  const host = apiUrl ? githubWebHost(apiUrl) : undefined;
  return host && host !== 'github.com' ? ['github.com', host] : ['github.com'];
};

/** The Puppet repository's GitHub `owner/name`: `repo.github.repo`, else from a github.com `url`. */
export const puppetGithubRepo = (repo: Pick<RepoConfig, 'url' | 'github'>): string | undefined =>
  repo.github?.repo ?? githubRepoOf(repo.url, webHosts(repo.github?.apiUrl));

export const puppetSchema = z
  .strictObject({
    /** `puppet`, `openvox`, or a full path. */
    command: z
      .string()
      .regex(/^[\w./-]+$/, 'a command name or path')
      .default('puppet'),
    args: z.array(z.string()).default([]),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    /** Relative to the checkout. */
    manifest: z.string().default('manifests/site.pp'),
    modulepath: z.array(z.string()).default(['modules']),
    noopTimeout: duration('10m'),
    applyTimeout: duration('30m'),
  })
  .prefault({});

const nodeSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]*$/i)
    .optional(),
  key: z.string().optional(),
  certname: z
    .string()
    .regex(/^[\w.-]+$/)
    .optional(),
  workDir: z.string().startsWith('/').optional(),
  transport: z.enum(['ssh', 'local']).optional(),
});

/** Exactly one way of naming members: a list, a glob over node names, or a command printing names. */
const setSchema = z
  .strictObject({
    nodes: z.array(nodeName).min(1).optional(),
    /** A glob over node names (`web*`, `db?.dc1`). */
    pattern: z.string().min(1).optional(),
    /** A command on the bot's machine printing one node name per line. */
    command: z.string().min(1).optional(),
  })
  .refine((set) => [set.nodes, set.pattern, set.command].filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of nodes, pattern or command',
  });

export const fleetSchema = z
  .strictObject({
    transport: z.enum(['ssh', 'local']).default('ssh'),
    /** Heckler's directory on every node (its checkout, report processor, applied state). */
    workDir: z.string().startsWith('/').default('/var/lib/heckler'),
    ssh: z
      .strictObject({
        user: z.string().default('root'),
        port: z.number().int().min(1).max(65535).default(22),
        key: z.string().optional(),
        knownHosts: z.string().default('~/.ssh/known_hosts'),
        /** `strict` refuses unknown and changed keys; `accept-new` trusts a node's first key and records it. */
        hostKeys: z.enum(['strict', 'accept-new']).default('strict'),
        concurrency: z.number().int().min(1).max(1000).default(100),
        connectTimeout: duration('10s'),
        keepalive: duration('30s'),
      })
      .prefault({}),
    nodes: z.record(nodeName, nodeSchema.nullable()).default({}),
    sets: z
      .record(nodeName, setSchema)
      .refine((sets) => !Object.hasOwn(sets, 'all'), {
        message: "expected set names other than 'all' (it is built in: every node)",
      })
      .default({}),
    /** Sets applied one after the other; `all` means every node not yet applied. */
    applyOrder: z.array(nodeName).default(['all']),
  })
  .prefault({});
