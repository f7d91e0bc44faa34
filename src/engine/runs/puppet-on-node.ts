import { errorText, isHecklerError } from '../errors.js';
import type { SyncResult } from '../fleet/code-sync.js';
import { nodeLayout } from '../fleet/node-layout.js';
import { syncThenRun } from '../fleet/one-trip.js';
import type { Clock, CodeRepo, ExecResult, NodeSpec, NodeTransport } from '../ports/index.js';
import {
  buildPuppetCommand,
  createNonce,
  interpretExec,
  type NormalizedReport,
  normalizeRun,
  type PuppetCommandConfig,
  type PuppetMode,
} from '../puppet/index.js';
import { type AppliedState, writeAppliedState } from './applied-state.js';
import type { ProcessorInstaller } from './report-processor.js';

export interface PuppetRunDeps {
  repo: Pick<CodeRepo, 'bundle'> & {
    /** What a node at `base` (the bot's guess) lacks of `sha`; undefined when not worth sending blind. */
    bundleOnGuess: (sha: string, base: string) => Promise<Buffer | undefined>;
  };
  transport: NodeTransport;
  puppet: PuppetCommandConfig;
  installProcessor: ProcessorInstaller;
  clock: Clock;
  /**
   * Each node's checkout commit as its last answer said, so the next run sends the bundle it
   * lacks with its first command; forgotten when a run fails (the node then says what it has).
   */
  heads: Map<string, string>;
}

/** One node's part of a noop or apply: reached or not, and what Puppet said. */
export type NodeRun =
  | {
      node: string;
      sha: string;
      reached: true;
      report: NormalizedReport;
      sync: SyncResult;
      durationMs: number;
      applied?: AppliedState;
    }
  | { node: string; sha: string; reached: false; unreachable: boolean; error: string; durationMs: number };

/**
 * Make sure the report processor is there, sync the exact commit and run Puppet (one command when
 * the node is ready: fleet/one-trip.ts), read its reduced report. After an apply the node records
 * what it now runs (a failure marks it dirty), unless Puppet never started because the checkout
 * defines our processor.
 */
export const runPuppetOnNode = async (
  deps: PuppetRunDeps,
  node: NodeSpec,
  sha: string,
  mode: PuppetMode,
  by: string,
): Promise<NodeRun> => {
  const started = deps.clock.now();
  const failed = (error: string, unreachable = false): NodeRun => ({
    node: node.name,
    sha,
    reached: false,
    unreachable,
    error,
    durationMs: deps.clock.now() - started,
  });
  const installed = await deps.installProcessor(deps.transport, node);
  if (installed && installed.status !== 'ok') {
    return failed(`could not install the report processor: ${installed.error ?? installed.stderr.trim()}`);
  }
  const nonce = createNonce();
  const { command, execTimeoutMs } = buildPuppetCommand({ config: deps.puppet, node, mode, nonce });
  let sync: SyncResult;
  let result: ExecResult;
  try {
    ({ sync, result } = await syncThenRun({
      transport: deps.transport,
      node,
      sha,
      bundle: (s, haves) => deps.repo.bundle(s, haves),
      bundleOnGuess: (s, base) => deps.repo.bundleOnGuess(s, base),
      command,
      timeoutMs: execTimeoutMs,
      nonce,
      guess: deps.heads.get(node.name),
    }));
  } catch (error) {
    deps.heads.delete(node.name);
    return failed(errorText(error), isHecklerError(error, 'NODE_UNREACHABLE'));
  }
  deps.heads.set(node.name, sha);
  if (result.status === 'unreachable') return failed(result.error ?? 'unreachable', true);
  const run = interpretExec(result, nonce);
  // Puppet never started (not installed): no result to cache or record; the words say how to fix it.
  if (run.exitCode === 127 && !run.report) return failed(run.problem ?? 'puppet was not found on the node');
  const report = normalizeRun(run, {
    node: node.name,
    checkout: nodeLayout(node).checkout,
    workDir: node.workDir,
    certname: node.certname,
  });
  const done = {
    node: node.name,
    sha,
    reached: true as const,
    report,
    sync,
    durationMs: deps.clock.now() - started,
  };
  // Refused before Puppet started (the checkout ships our processor): the node runs what it ran.
  if (mode === 'noop' || run.shadowed) return done;
  const ok = report.outcome === 'changes' || report.outcome === 'unchanged';
  const applied: AppliedState = {
    revision: sha,
    appliedAt: deps.clock.now(),
    outcome: ok ? 'ok' : 'failed',
    dirty: !ok,
    by,
  };
  const written = await writeAppliedState(deps.transport, node, applied);
  if (written.status !== 'ok')
    return failed(
      `applied, but could not record the applied state: ${written.error ?? written.stderr.trim()}`,
    );
  return { ...done, applied };
};
