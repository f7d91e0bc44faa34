import { HecklerError } from '../errors.js';
import type { ExecResult, NodeSpec, NodeTransport } from '../ports/transport.js';
import { escapeText } from '../text/mrkdwn.js';
import { applyScript, type ProbeReport, parseProbe, probeScript } from './code-sync-scripts.js';
import { FULL_SHA, nodeLayout } from './node-layout.js';

export interface SyncCodeOptions {
  transport: NodeTransport;
  node: NodeSpec;
  /** The full commit SHA to check out. */
  sha: string;
  /** A git bundle of `sha` minus what `haves` reach (`CodeRepo.bundle`). */
  bundle: (sha: string, haves: readonly string[]) => Promise<Buffer>;
  /** Per step on the node (probe, transfer + checkout); default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** What the node just said it has (a one-trip run's answer): the probe step is skipped. */
  probe?: ProbeReport;
}

export interface SyncResult {
  sha: string;
  /** Bundle bytes sent to the node (0 when it already had the commit). */
  sentBytes: number;
  /** What was wrong with the checkout and has been fixed, in words for a log or a thread. */
  repaired: string[];
}

/** A sync that ran but failed on the node (a git error, a full disk); unreachable nodes are NODE_UNREACHABLE. */
export class CodeSyncError extends Error {
  constructor(
    readonly node: string,
    message: string,
    readonly result?: ExecResult,
  ) {
    super(`${node}: ${message}`);
    this.name = 'CodeSyncError';
  }
}

/** A lock younger than this may belong to a git command that is still running. */
const STALE_LOCK_S = 60;

/**
 * Puts exactly `sha` in `<workDir>/checkout` on the node, sending only the objects the node lacks:
 * one command asks what the node has, a second receives a bundle of the rest and checks it out.
 * A stale index.lock, a dirty tree or a broken repository is fixed on the way; a repository that
 * still fails is replaced from a full bundle. Runs come here only when their one command could not
 * be used (one-trip.ts), with the node's answer as the probe.
 */
export const syncCode = async (options: SyncCodeOptions): Promise<SyncResult> => {
  const { node, sha } = options;
  if (!FULL_SHA.test(sha))
    throw new CodeSyncError(node.name, `not a full commit SHA: ${JSON.stringify(sha)}`);
  const layout = nodeLayout(node);
  const run = async (step: string, script: string, stdin?: Buffer) => {
    const result = await options.transport.exec(node, script, {
      timeoutMs: options.timeoutMs ?? 300_000,
      ...(stdin && { stdin }),
      ...(options.signal && { signal: options.signal }),
    });
    if (result.status === 'unreachable' || result.status === 'timed_out') {
      throw new HecklerError(
        'NODE_UNREACHABLE',
        escapeText(`${node.name}: ${step}: ${result.error ?? result.status}`),
        {
          cause: result,
        },
      );
    }
    return result;
  };

  const probeNode = async () => {
    const probed = await run('checking the checkout', probeScript(layout.checkout, layout.state, sha));
    if (probed.status !== 'ok')
      throw new CodeSyncError(node.name, `checking the checkout failed: ${firstLine(probed)}`, probed);
    return parseProbe(probed.stdout, (value) => FULL_SHA.test(value));
  };
  const probe = options.probe ?? (await probeNode());
  const repaired: string[] = [];
  let fresh = needsFreshRepo(probe, repaired);
  const removeLock = !fresh && probe.lockAgeS !== undefined && staleLock(node, probe, repaired);
  if (!fresh && probe.dirty) repaired.push('dirty working tree (modified or untracked files) reset');

  let sentBytes = 0;
  const attempt = async () => {
    const haves = fresh || !probe.head ? [] : [probe.head];
    const bundle = fresh || !probe.hasSha ? await makeBundle(options, haves) : undefined;
    sentBytes += bundle?.length ?? 0;
    const script = applyScript({ ...layout, sha, withBundle: bundle !== undefined, fresh, removeLock });
    return run(fresh ? 'cloning' : 'updating the checkout', script, bundle);
  };
  let applied = await attempt();
  if (applied.status !== 'ok' && !fresh) {
    // Whatever broke (corrupt objects, a half-written ref), a fresh repository from a full bundle fixes it.
    repaired.push(`repository unusable (${firstLine(applied)}): re-cloned from a full bundle`);
    fresh = true;
    applied = await attempt();
  }
  if (applied.status !== 'ok')
    throw new CodeSyncError(node.name, `checkout of ${sha} failed: ${firstLine(applied)}`, applied);
  return { sha, sentBytes, repaired };
};

const needsFreshRepo = (probe: ProbeReport, repaired: string[]): boolean => {
  if (probe.repo === 'ok') return false;
  // No checkout and no record of one: a first sync, nothing to repair.
  if (probe.repo === 'absent' && probe.synced === undefined) return true;
  const what = { absent: 'checkout missing', 'not-git': 'missing repository', corrupt: 'corrupt repository' }[
    probe.repo
  ];
  repaired.push(`${what}: re-cloned from a full bundle`);
  return true;
};

/** Whether to remove index.lock: old enough, or no git process could hold it. */
const staleLock = (node: NodeSpec, probe: ProbeReport, repaired: string[]): boolean => {
  const age = probe.lockAgeS ?? 0;
  if (probe.gitRunning && age < STALE_LOCK_S) {
    throw new CodeSyncError(
      node.name,
      `a git command is using the checkout (.git/index.lock is ${age}s old); try again shortly`,
    );
  }
  repaired.push(`stale .git/index.lock (${age}s old) removed`);
  return true;
};

/** The bundle minus the node's commit; if the mirror does not know that commit (history rewritten), a full one. */
const makeBundle = async (options: SyncCodeOptions, haves: string[]): Promise<Buffer> => {
  if (haves.length === 0) return options.bundle(options.sha, []);
  try {
    return await options.bundle(options.sha, haves);
  } catch {
    return options.bundle(options.sha, []);
  }
};

/** The line that says what went wrong: git's `fatal:` if there is one (it comes after the details), else the first. */
export const firstLine = (result: ExecResult): string => {
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  const line = lines.find((l) => l.startsWith('fatal:')) ?? lines[0] ?? `exit code ${result.exitCode}`;
  return line.slice(0, 300);
};
