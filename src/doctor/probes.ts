import { errorText, isHecklerError } from '../engine/errors.js';
import type { ContainerRuntime } from '../engine/ports/containers.js';
import type { CodeRepo } from '../engine/ports/repo.js';
import type { Store } from '../engine/ports/store.js';
import type { NodeSpec, NodeTransport } from '../engine/ports/transport.js';
import { unescapeText } from '../engine/text/mrkdwn.js';
import type { CheckResult, PlannedCheck, Probe } from './checks.js';
import { connectionResults, nodeProbeCommand, type PuppetInvocation, probeResults } from './node-probe.js';

/** What the probes reach: ports, plus the two SaaS calls as functions. */
export interface DoctorDeps {
  /** The config's own line (it was read and is valid when doctor runs at all). */
  config: CheckResult;
  store: Pick<Store<number>, 'get' | 'set' | 'delete'>;
  /** `redis` or `embedded in <dir>`, for the store's line. */
  storeKind: string;
  /** The Puppet repository's mirror, opened on first use (the CLI clones it when missing). */
  repo?: () => Promise<Pick<CodeRepo, 'fetch' | 'head'>>;
  branch?: string;
  transport: NodeTransport;
  nodes: readonly NodeSpec[];
  knownHosts?: string;
  puppet: PuppetInvocation;
  docker: (host: string) => ContainerRuntime | undefined;
  /** Slack's auth.test: who the token is. */
  slack?: () => Promise<{ team?: string; user?: string }>;
  /** GitHub: whose token it is. */
  github?: () => Promise<string>;
  now: () => number;
  /** Below this the free space check fails (default 1 GiB). */
  minFreeBytes?: number;
}

const words = (error: unknown): { found: string; hint?: string } => {
  // A HecklerError's words are chat text (escaped mrkdwn); doctor prints them as they read.
  const hint = isHecklerError(error) && error.hint ? unescapeText(error.hint) : undefined;
  return { found: errorText(error), ...(hint ? { hint } : {}) };
};

const failed = (subject: string, check: string, error: unknown, advice: string): CheckResult => {
  const { found, hint } = words(error);
  return { subject, check, ok: false, found, advice: hint ?? advice };
};

const PROBE_KEY = 'doctor-probe';

const probeStore = async (deps: DoctorDeps): Promise<CheckResult[]> => {
  try {
    const started = deps.now();
    await deps.store.set(PROBE_KEY, started, 60_000);
    const read = await deps.store.get(PROBE_KEY);
    await deps.store.delete(PROBE_KEY);
    if (read !== started) throw new Error('a value written could not be read back');
    const found = `${deps.storeKind}, ${deps.now() - started} ms`;
    return [{ subject: 'store', check: 'read and write', ok: true, found }];
  } catch (error) {
    const advice = 'check REDIS_URL (or storage.dataDir) and that the store is up';
    return [failed('store', 'read and write', error, advice)];
  }
};

const probeMirror = async (deps: DoctorDeps): Promise<CheckResult[]> => {
  if (!deps.repo) return [];
  let repo: Pick<CodeRepo, 'fetch' | 'head'>;
  let head: string;
  try {
    repo = await deps.repo();
    head = await repo.head();
  } catch (error) {
    return [failed('mirror', 'readable', error, 'check repo.url, repo.branch and repo.mirrorDir')];
  }
  const readable: CheckResult = {
    subject: 'mirror',
    check: 'readable',
    ok: true,
    found: `${deps.branch ?? 'branch'} at ${head.slice(0, 12)}`,
  };
  try {
    await repo.fetch();
    return [readable, { subject: 'mirror', check: 'fetch', ok: true, found: 'the origin answered' }];
  } catch (error) {
    return [readable, failed('mirror', 'fetch', error, 'check repo.url and that this machine can reach it')];
  }
};

const probeNode = async (deps: DoctorDeps, name: string): Promise<CheckResult[]> => {
  const node = deps.nodes.find((n) => n.name === name);
  if (!node) return [];
  const connected = await deps.transport.check(node);
  const connection = connectionResults(node, connected, deps.knownHosts);
  if (connected.status !== 'ok') return connection;
  const probe = await deps.transport.exec(node, nodeProbeCommand(node, deps.puppet), { timeoutMs: 60_000 });
  return [...connection, ...probeResults(node, probe, deps.puppet, deps.minFreeBytes)];
};

const probeDocker = async (deps: DoctorDeps, host: string): Promise<CheckResult[]> => {
  try {
    const runtime = deps.docker(host);
    if (!runtime) throw new Error('no runtime for this address');
    await runtime.ping();
    return [{ subject: host, check: 'docker', ok: true, found: 'the engine answered' }];
  } catch (error) {
    return [failed(host, 'docker', error, 'start dockerd there, or fix builds.docker.hosts')];
  }
};

const probeSlack = async (deps: DoctorDeps): Promise<CheckResult[]> => {
  if (!deps.slack) return [];
  try {
    const who = await deps.slack();
    const found = `bot ${who.user ?? '?'} in team ${who.team ?? '?'}`;
    return [{ subject: 'slack', check: 'auth.test', ok: true, found }];
  } catch (error) {
    return [failed('slack', 'auth.test', error, 'check SLACK_BOT_TOKEN (xoxb-…) and slack.apiUrl')];
  }
};

const probeGithub = async (deps: DoctorDeps): Promise<CheckResult[]> => {
  if (!deps.github) return [];
  try {
    return [{ subject: 'github', check: 'token', ok: true, found: `token of ${await deps.github()}` }];
  } catch (error) {
    return [failed('github', 'token', error, 'check GITHUB_TOKEN: it may be revoked or expired')];
  }
};

/** Each planned check, done against the deps. Nothing is changed but one short-lived store key. */
export const createProbe =
  (deps: DoctorDeps): Probe =>
  async (check: PlannedCheck): Promise<CheckResult[]> => {
    switch (check.kind) {
      case 'config':
        return [deps.config];
      case 'store':
        return probeStore(deps);
      case 'mirror':
        return probeMirror(deps);
      case 'node':
        return probeNode(deps, check.node);
      case 'docker':
        return probeDocker(deps, check.host);
      case 'slack':
        return probeSlack(deps);
      case 'github':
        return probeGithub(deps);
    }
  };
