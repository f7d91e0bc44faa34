import { HecklerError } from '../errors.js';
import type { ExecResult, NodeSpec, NodeTransport } from '../ports/transport.js';
import { escapeText } from '../text/mrkdwn.js';
import { CodeSyncError, type SyncResult, syncCode } from './code-sync.js';
import type { ProbeReport } from './code-sync-scripts.js';
import { FULL_SHA, nodeLayout } from './node-layout.js';
import { oneTripScript, readOneTrip } from './one-trip-script.js';

export interface SyncThenRunOptions {
  transport: NodeTransport;
  node: NodeSpec;
  /** The full commit SHA the command must run on. */
  sha: string;
  /** A git bundle of `sha` minus what `haves` reach (shared per (commit, base) across nodes). */
  bundle: (sha: string, haves: readonly string[]) => Promise<Buffer>;
  /**
   * The bundle to send with the first command to a node believed at `base`, or undefined to send
   * none (the node may have `sha` already, or the bundle would be a full one); see guessedBundles.
   */
  bundleOnGuess: (sha: string, base: string) => Promise<Buffer | undefined>;
  /** What to run on the exact checkout (the Puppet wrapper), and the timeout it needs. */
  command: string;
  timeoutMs: number;
  /** Fresh per run (the Puppet nonce): the node's "sync first" answer carries it. */
  nonce: string;
  /**
   * The commit the node's checkout was at when it last answered, kept per node by the caller: a
   * bundle built on it travels with the first command. Wrong or absent, the node says what it has.
   */
  guess?: string;
  signal?: AbortSignal;
}

export interface SyncThenRunResult {
  sync: SyncResult;
  /** The command's own result, as if it had been sent alone. */
  result: ExecResult;
}

/** Room for a checkout and an unbundle on top of the command's own timeout (code sync's per step). */
const SYNC_BUDGET_MS = 300_000;

/**
 * Puts exactly `sha` in the node's checkout and runs `command` there, in as few round trips as the
 * node allows:
 *
 * - one, when the checkout needs no repair and has the commit, or the bundle built on `guess`
 *   brings it (the usual case after the first run: the bot remembers each node's commit);
 * - two, when the node lacks the commit and the guess was wrong or absent: its answer says what it
 *   has, and the second command carries the bundle of what it lacks, checks out and runs;
 * - the probe path otherwise (a stale lock, a dirty tree, a broken repository, a first sync):
 *   `syncCode` with the node's answer as its probe, repairing as it always has, then `command`.
 *
 * Throws as `syncCode` does: CodeSyncError when the node cannot be synced, NODE_UNREACHABLE.
 */
export const syncThenRun = async (options: SyncThenRunOptions): Promise<SyncThenRunResult> => {
  const { node, sha, transport } = options;
  if (!FULL_SHA.test(sha))
    throw new CodeSyncError(node.name, `not a full commit SHA: ${JSON.stringify(sha)}`);
  const layout = nodeLayout(node);
  const marker = `heckler-sync-needed-${options.nonce}`;
  const execOptions = (stdin: Buffer | undefined, timeoutMs: number) => ({
    timeoutMs,
    ...(stdin && { stdin }),
    ...(options.signal && { signal: options.signal }),
  });
  let sentBytes = 0;
  const attempt = async (base: string | undefined, bundle: Buffer | undefined) => {
    sentBytes += bundle?.length ?? 0;
    const script = oneTripScript({
      ...layout,
      sha,
      withBundle: bundle !== undefined,
      marker,
      command: options.command,
    });
    const result = await transport.exec(
      node,
      script,
      execOptions(bundle, options.timeoutMs + SYNC_BUDGET_MS),
    );
    if (result.status === 'unreachable')
      throw new HecklerError(
        'NODE_UNREACHABLE',
        escapeText(`${node.name}: checking the checkout: ${result.error ?? result.status}`),
        { cause: result },
      );
    return { result, answer: readOneTrip(result.stdout, result.exitCode, marker), base: bundle && base };
  };
  const done = (result: ExecResult): SyncThenRunResult => ({
    sync: { sha, sentBytes, repaired: [] },
    result,
  });

  const guess = options.guess;
  const first = await attempt(
    guess,
    guess === undefined || guess === sha
      ? undefined
      : await options.bundleOnGuess(sha, guess).catch(() => undefined),
  );
  if (first.answer.ran) return done(first.result);
  let probe = first.answer.probe as ProbeReport;
  // Lacks the commit, nothing to repair, and the bundle (if any) was not built on what it has: send the right one.
  const retry =
    onlyLacks(probe) && probe.head !== first.base ? await bundleOn(options, probe.head) : undefined;
  if (retry) {
    const second = await attempt(probe.head, retry);
    if (second.answer.ran) return done(second.result);
    probe = second.answer.probe as ProbeReport;
  }
  const synced = await syncCode({
    transport,
    node,
    sha,
    bundle: options.bundle,
    probe,
    ...(options.signal && { signal: options.signal }),
  });
  const result = await transport.exec(node, options.command, execOptions(undefined, options.timeoutMs));
  return { sync: { ...synced, sentBytes: sentBytes + synced.sentBytes }, result };
};

const onlyLacks = (probe: ProbeReport): probe is ProbeReport & { head: string } =>
  probe.repo === 'ok' &&
  probe.head !== undefined &&
  !probe.hasSha &&
  !probe.dirty &&
  probe.lockAgeS === undefined;

/** The bundle of what a node at `base` lacks; none when the mirror cannot make it (the probe path then decides). */
const bundleOn = async (options: SyncThenRunOptions, base: string): Promise<Buffer | undefined> => {
  try {
    return await options.bundle(options.sha, [base]);
  } catch {
    return undefined;
  }
};
