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

/** Each planned check, done against the deps. Nothing is changed but one short-lived store key. */
export const createProbe =
  (deps: DoctorDeps): Probe =>
  async (check: PlannedCheck): Promise<CheckResult[]> => {
    switch (check.kind) {
      case 'config':
        return [deps.config];
      case 'store': {
        try {
          const started = deps.now();
          await deps.store.set(PROBE_KEY, started, 60_000);
          const read = await deps.store.get(PROBE_KEY);
          await deps.store.delete(PROBE_KEY);
          if (read !== started) throw new Error('a value written could not be read back');
          return [
            {
              subject: 'store',
              check: 'read and write',
              ok: true,
              found: `${deps.storeKind}, ${deps.now() - started} ms`,
            },
          ];
        } catch (error) {
          return [
            failed(
              'store',
              'read and write',
              error,
              'check REDIS_URL (or storage.dataDir) and that the store is up',
            ),
          ];
        }
      }
      case 'mirror': {
        if (!deps.repo) return [];
        try {
          const repo = await deps.repo();
          const head = await repo.head();
          const lines: CheckResult[] = [
            {
              subject: 'mirror',
              check: 'readable',
              ok: true,
              found: `${deps.branch ?? 'branch'} at ${head.slice(0, 12)}`,
            },
          ];
          try {
            await repo.fetch();
            lines.push({ subject: 'mirror', check: 'fetch', ok: true, found: 'the origin answered' });
          } catch (error) {
            lines.push(failed('mirror', 'fetch', error, 'check repo.url and that this machine can reach it'));
          }
          return lines;
        } catch (error) {
          return [failed('mirror', 'readable', error, 'check repo.url, repo.branch and repo.mirrorDir')];
        }
      }
      case 'node': {
        const node = deps.nodes.find((n) => n.name === check.node);
        if (!node) return [];
        const connected = await deps.transport.check(node);
        const connection = connectionResults(node, connected, deps.knownHosts);
        if (connected.status !== 'ok') return connection;
        const probe = await deps.transport.exec(node, nodeProbeCommand(node, deps.puppet), {
          timeoutMs: 60_000,
        });
        return [...connection, ...probeResults(node, probe, deps.puppet, deps.minFreeBytes)];
      }
      case 'docker': {
        const runtime = deps.docker(check.host);
        try {
          if (!runtime) throw new Error('no runtime for this address');
          await runtime.ping();
          return [{ subject: check.host, check: 'docker', ok: true, found: 'the engine answered' }];
        } catch (error) {
          return [failed(check.host, 'docker', error, 'start dockerd there, or fix builds.docker.hosts')];
        }
      }
      case 'slack': {
        if (!deps.slack) return [];
        try {
          const who = await deps.slack();
          return [
            {
              subject: 'slack',
              check: 'auth.test',
              ok: true,
              found: `bot ${who.user ?? '?'} in team ${who.team ?? '?'}`,
            },
          ];
        } catch (error) {
          return [failed('slack', 'auth.test', error, 'check SLACK_BOT_TOKEN (xoxb-…) and slack.apiUrl')];
        }
      }
      case 'github': {
        if (!deps.github) return [];
        try {
          return [{ subject: 'github', check: 'token', ok: true, found: `token of ${await deps.github()}` }];
        } catch (error) {
          return [failed('github', 'token', error, 'check GITHUB_TOKEN: it may be revoked or expired')];
        }
      }
    }
  };
