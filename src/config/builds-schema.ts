import { z } from 'zod';
import { branchPatternProblem } from '../engine/builds/triggers.js';
import { readUrlPrefix } from '../engine/builds/watch-url.js';
import {
  checkResourceMaxima,
  dockerTlsSchema,
  repoResourcesSchema,
  resourcesSchema,
} from './builds-resources.js';
import { duration, envVarName } from './fields.js';

/** `infra/api`: the name builds, commands and store keys use for a repository. */
export const REPO_NAME = /^[\w.-]+\/[\w.-]+$/;
const repoName = z.string().regex(REPO_NAME, 'a repository name such as infra/api');

/** A repository on GitHub as `owner/name` (shared with `repo.github`). */
export const githubRepoName = z.string().regex(REPO_NAME, 'a GitHub owner/repo');
export const GITHUB_API_URL = 'https://api.github.com';
/** GitHub's REST API: github.com's unless a GitHub Enterprise `https://host/api/v3` is named. */
export const githubApiUrl = z.url().default(GITHUB_API_URL);

const units: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** A byte count, written as a number or as `512KiB`, `4MiB`. */
export const bytes = (fallback: number) =>
  z
    .union([z.number(), z.string()])
    .default(fallback)
    .transform((value, ctx) => {
      const match = typeof value === 'string' ? /^(\d+)\s*(B|KiB|MiB|GiB)$/.exec(value) : undefined;
      const count =
        typeof value === 'number' ? value : match ? Number(match[1]) * (units[match[2] ?? 'B'] ?? 1) : NaN;
      if (!Number.isInteger(count) || count < 1024) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected a size of at least 1KiB such as 4MiB',
          input: value,
        });
        return z.NEVER;
      }
      return count;
    });

/** Unanchored as written, matched whole on RE2 (like ocelot.yml's `branches`). */
const branchPattern = z.string().refine((source) => branchPatternProblem(source) === undefined, {
  error: (issue) => {
    const source = String(issue.input);
    return `expected a regular expression, found "${source}": it ${branchPatternProblem(source) ?? 'is not one'}`;
  },
});

/** An allowed place to watch from chat: `github.com/acme/`, `git.example.com`, `https://host/team/`. */
const urlPrefix = z.string().transform((pattern, ctx) => {
  const read = readUrlPrefix(pattern.trim());
  if ('why' in read) {
    ctx.addIssue({ code: 'custom', message: `${read.why}, found "${pattern}"`, input: pattern });
    return z.NEVER;
  }
  return pattern.trim();
});

const repoSchema = z.strictObject({
  name: repoName,
  /** What git clones: a path, file://, ssh:// or https:// URL. */
  url: z
    .string()
    .min(1)
    .refine((url) => !url.startsWith('-'), 'a path or URL that does not start with -'),
  /** Only these branches are polled and built (besides ocelot.yml's own `branches:`). */
  branches: z.array(branchPattern).min(1).optional(),
  /** This repository's memory, cpus, pids and timeout, within `builds.resources.max`. */
  resources: repoResourcesSchema.optional(),
  /**
   * Environment variables of the bot passed, with their values, to this repository's builds
   * (deploy tokens…); masked in logs, and never given to pull requests from forks.
   */
  secretEnv: z.array(envVarName).optional(),
});

const DEFAULT_DOCKER = 'unix:///var/run/docker.sock';

const hostSchema = z
  .strictObject({
    address: z
      .string()
      .regex(
        /^(unix:\/\/\/|tcp:\/\/)\S+$/,
        'a Docker address such as unix:///var/run/docker.sock or tcp://ci1:2375',
      )
      .default(DEFAULT_DOCKER),
    capacity: z.number().int().min(1).max(256).default(4),
    /** Client certificates for an engine started with --tlsverify (tcp:// only). */
    tls: dockerTlsSchema.optional(),
  })
  .superRefine((host, ctx) => {
    if (host.tls && !host.address.startsWith('tcp://'))
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: 'expected a tcp:// address for a host with tls (a unix socket needs none)',
        input: host.address,
      });
  });

/** The `builds:` section of heckler.yml: the CI half (README "Builds"). */
export const buildsSchema = z
  .strictObject({
    repos: z
      .array(repoSchema)
      .refine((repos) => new Set(repos.map((repo) => repo.name)).size === repos.length, {
        message: 'expected each repository name once',
      })
      .default([]),
    /**
     * Where `/heckler watch` may clone from (host or host/path prefixes). Empty: only the repos
     * above are watched. Local paths and file:// are never watched from chat.
     */
    allowedUrls: z.array(urlPrefix).default([]),
    docker: z
      .strictObject({
        hosts: z
          .array(hostSchema)
          .min(1)
          .default([{ address: DEFAULT_DOCKER, capacity: 4 }]),
        /** Network mode of build containers; `none` keeps builds off the network. */
        network: z.string().min(1).default('none'),
      })
      .prefault({}),
    /** Memory, CPUs, pids and timeout of builds, and the most ocelot.yml may ask for. */
    resources: resourcesSchema,
    limits: z
      .strictObject({
        global: z.number().int().min(1).max(1000).default(4),
        perRepo: z.number().int().min(1).max(1000).default(2),
      })
      .prefault({}),
    /** Credentials for private images; the password comes from the named environment variable. */
    registries: z
      .array(
        z.strictObject({
          /** `registry.example.com`, or `docker.io` for Docker Hub. */
          host: z.string().regex(/^[\w.-]+(:\d+)?$/, 'a registry host such as registry.example.com'),
          username: z.string().min(1),
          passwordEnv: envVarName,
        }),
      )
      .default([]),
    /** Log bytes kept per build; past it, a visible truncation marker. */
    logLimit: bytes(4 * 1024 ** 2),
    pollEvery: duration('1m'),
    janitor: z
      .strictObject({
        every: duration('1h'),
        /** Unused build images older than this are removed. */
        imageAge: duration('7d'),
      })
      .prefault({}),
    /** Where build messages go; `chat.channel` when absent. */
    channel: z.string().min(1).optional(),
    github: z
      .strictObject({
        apiUrl: githubApiUrl,
        /** Post commit statuses (needs GITHUB_TOKEN). */
        statuses: z.boolean().default(true),
        /** Heckler repo name → GitHub `owner/repo`; github.com URLs are recognised without it. */
        repos: z.record(repoName, githubRepoName).default({}),
      })
      .prefault({}),
  })
  .superRefine(checkResourceMaxima)
  .prefault({});

export type BuildsConfig = z.output<typeof buildsSchema>;
