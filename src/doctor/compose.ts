import { Octokit } from '@octokit/rest';
import { webApi } from '@slack/bolt';
import { createDockerPool } from '../adapters/docker/pool.js';
import { configTransport } from '../compose/fleet.js';
import { GITHUB_API_URL } from '../config/builds-schema.js';
import type { Config } from '../config/schema.js';
import { nodeSpecs } from '../engine/fleet/inventory.js';
import type { ContainerRuntime } from '../engine/ports/containers.js';
import type { Logger } from '../engine/ports/logger.js';
import type { CodeRepo } from '../engine/ports/repo.js';
import type { Store } from '../engine/ports/store.js';
import type { NodeTransport } from '../engine/ports/transport.js';
import { anyFailed, type CheckResult, planChecks, renderReport, runChecks } from './checks.js';
import { createProbe, type DoctorDeps } from './probes.js';

/** Slack and GitHub calls give up after this long: doctor answers within seconds. */
const CALL_TIMEOUT_MS = 8_000;

export interface Doctor {
  /** Runs every check that applies; one line each, plus a summary. */
  run(): Promise<{ results: CheckResult[]; report: string; failed: boolean }>;
}

export interface DoctorOptions {
  config: Config;
  store: Store<number>;
  storeKind: 'redis' | 'embedded';
  /** Default: one made from the config for each run and closed after it (the bot's own pool stays as it is). */
  transport?: NodeTransport;
  logger: Logger;
  /** The running bot's mirror, or (the CLI) one opened on first use. */
  repo?: () => Promise<Pick<CodeRepo, 'fetch' | 'head'>>;
  /** Tests replace Docker hosts; by default dockerode on each configured address. */
  docker?: (host: string) => ContainerRuntime | undefined;
  /** Every secret value, kept out of the report. */
  secrets: readonly string[];
  minFreeBytes?: number;
}

const configLine = (config: Config): CheckResult => {
  const nodes = Object.keys(config.fleet.nodes).length;
  const parts = [
    `${config.path} is valid`,
    `${nodes} node${nodes === 1 ? '' : 's'}`,
    config.repo ? `repo ${config.repo.url}` : 'no repo',
    `store ${config.secrets.redisUrl ? 'redis' : 'embedded'}`,
    `chat ${config.mode}`,
  ];
  return { subject: 'config', check: 'valid', ok: true, found: parts.join(', ') };
};

const dockerRuntimes = (config: Config): ((host: string) => ContainerRuntime | undefined) => {
  if (config.builds.repos.length === 0) return () => undefined;
  const pool = createDockerPool({ hosts: config.builds.docker.hosts, network: config.builds.docker.network });
  return (host) => pool.runtime(host);
};

const slackAuth = (config: Config) => {
  const token = config.secrets.slackBotToken;
  if (!token) return undefined;
  return async () => {
    const client = new webApi.WebClient(token, {
      slackApiUrl: config.slack.apiUrl,
      timeout: CALL_TIMEOUT_MS,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logLevel: webApi.LogLevel.ERROR,
    });
    const identity = await client.auth.test();
    return {
      ...(identity.team ? { team: identity.team } : {}),
      ...(identity.user ? { user: identity.user } : {}),
    };
  };
};

const githubLogin = (config: Config) => {
  const token = config.secrets.githubToken;
  if (!token) return undefined;
  const apiUrl = config.repo?.github?.apiUrl ?? config.builds.github.apiUrl ?? GITHUB_API_URL;
  return async () => {
    const octokit = new Octokit({
      auth: token,
      baseUrl: apiUrl.replace(/\/+$/, ''),
      userAgent: 'heckler',
      request: { timeout: CALL_TIMEOUT_MS, retries: 0 },
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    const { data } = await octokit.rest.users.getAuthenticated();
    return data.login;
  };
};

/** Doctor over the given store, transport and mirror, with Slack, GitHub and Docker reached from config. */
export const createDoctor = (options: DoctorOptions): Doctor => {
  const { config } = options;
  const nodes = nodeSpecs(config.fleet);
  const slack = slackAuth(config);
  const github = githubLogin(config);
  const deps = (transport: NodeTransport): DoctorDeps => ({
    config: configLine(config),
    store: options.store,
    storeKind: options.storeKind === 'redis' ? 'redis' : `embedded in ${config.storage.dataDir}`,
    ...(options.repo ? { repo: options.repo } : {}),
    ...(config.repo ? { branch: config.repo.branch } : {}),
    transport,
    nodes,
    knownHosts: config.fleet.ssh.knownHosts,
    puppet: { command: config.puppet.command, env: config.puppet.env },
    docker: options.docker ?? dockerRuntimes(config),
    ...(slack ? { slack } : {}),
    ...(github ? { github } : {}),
    now: Date.now,
    ...(options.minFreeBytes === undefined ? {} : { minFreeBytes: options.minFreeBytes }),
  });
  const plan = planChecks({
    repo: Boolean(config.repo && options.repo),
    nodes: nodes.map((n) => n.name),
    dockerHosts: config.builds.repos.length > 0 ? config.builds.docker.hosts.map((h) => h.address) : [],
    slackToken: Boolean(slack),
    githubToken: Boolean(github),
  });
  return {
    async run() {
      const transport = options.transport ?? configTransport(config, options.logger);
      let results: CheckResult[];
      try {
        results = await runChecks(plan, createProbe(deps(transport)), {
          timeoutMs: 90_000,
          concurrency: config.fleet.ssh.concurrency,
        });
      } finally {
        if (!options.transport) await transport.close();
      }
      return { results, report: renderReport(results, options.secrets), failed: anyFailed(results) };
    },
  };
};
