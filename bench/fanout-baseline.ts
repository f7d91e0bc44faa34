import { spawn } from 'node:child_process';
import { remoteCommand } from '../src/adapters/transport/remote-group.js';
import type { Config } from '../src/config/schema.js';
import { applyScript, probeScript } from '../src/engine/fleet/code-sync-scripts.js';
import { nodeLayout } from '../src/engine/fleet/node-layout.js';
import type { NodeSpec } from '../src/engine/ports/index.js';
import { buildPuppetCommand, createNonce, splitRunOutput } from '../src/engine/puppet/index.js';

/** One command for the system `ssh` client: a fresh process and a fresh connection each time. */
export interface SshStep {
  command: string;
  stdin?: Buffer;
}

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface BaselineNode<N> {
  node: N;
  results: SshResult[];
}

/** `ssh ARGS -- COMMAND` with `stdin` (or nothing) on its standard input; never rejects on exit codes. */
export const plainSsh = (args: readonly string[], step: SshStep, timeoutMs = 120_000): Promise<SshResult> =>
  new Promise((resolve, reject) => {
    const child = spawn('ssh', [...args, step.command], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => {}); // a command that exits before reading its stdin
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    child.stdin.end(step.stdin);
  });

/**
 * The plain-ssh side: for every node, its steps one after the other (each step its own `ssh`
 * process and connection), at most `concurrency` nodes at a time, like the engine's fan-out.
 */
export const sshFanout = async <N>(
  nodes: readonly N[],
  concurrency: number,
  argsOf: (node: N) => readonly string[],
  stepsOf: (node: N) => readonly SshStep[],
): Promise<BaselineNode<N>[]> => {
  const out = new Array<BaselineNode<N>>(nodes.length);
  let next = 0;
  const worker = async () => {
    while (next < nodes.length) {
      const index = next++;
      const node = nodes[index] as N;
      const results: SshResult[] = [];
      for (const step of stepsOf(node)) {
        const result = await plainSsh(argsOf(node), step);
        results.push(result);
        if (result.code !== 0) break;
      }
      out[index] = { node, results };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, nodes.length) }, worker));
  return out;
};

/** syncCode's per-step timeout; the transport turns it into the node-side `timeout`. */
const SYNC_TIMEOUT_MS = 300_000;

/**
 * The probe path's node-side commands for one noop, byte for byte as the SSH transport sends them
 * (wrapped by `remoteCommand`): what syncCode runs (probe, then checkout with or without a bundle
 * on stdin) and the puppet wrapper. The engine sent these three per node before it folded them
 * into one (fleet/one-trip.ts), and still does for a checkout that needs repair; a script doing the
 * job by hand would send them too. The nonce lets the caller check the markers.
 */
export const engineSteps = (
  config: Config,
  node: NodeSpec,
  sha: string,
  bundle?: Buffer,
): { nonce: string; steps: SshStep[] } => {
  const layout = nodeLayout(node);
  const nonce = createNonce();
  const puppet = buildPuppetCommand({ config: config.puppet, node, mode: 'noop', nonce });
  const withBundle = bundle !== undefined;
  return {
    nonce,
    steps: [
      { command: remoteCommand(probeScript(layout.checkout, layout.state, sha), SYNC_TIMEOUT_MS) },
      {
        command: remoteCommand(
          applyScript({ ...layout, sha, withBundle, fresh: false, removeLock: false }),
          SYNC_TIMEOUT_MS,
        ),
        ...(bundle && { stdin: bundle }),
      },
      { command: remoteCommand(puppet.command, puppet.execTimeoutMs) },
    ],
  };
};

/** The least a script could do: one ssh per node running the stand-in, report to stdout. */
export const minimalStep = (node: NodeSpec, puppetCommand: string): SshStep => ({
  command: `cd ${nodeLayout(node).checkout} && HECKLER_REPORT_OUT=/dev/stdout ${puppetCommand} apply --noop --certname ${node.certname} manifests/site.pp`,
});

/** Throws unless every node ran all its steps with exit 0 and the last printed a complete report. */
export const checkBaseline = (
  results: readonly BaselineNode<NodeSpec>[],
  steps: number,
  nonces: ReadonlyMap<string, string>,
): void => {
  const problems = results.flatMap(({ node, results: ran }) => {
    const last = ran.at(-1);
    if (ran.length !== steps || !last || last.code !== 0)
      return [`${node.name}: step ${ran.length} exited ${last?.code}: ${last?.stderr.trim().slice(0, 200)}`];
    const nonce = nonces.get(node.name);
    if (nonce === undefined)
      return last.stdout.includes('"resource_statuses"') ? [] : [`${node.name}: no report`];
    const split = splitRunOutput(last.stdout, nonce);
    return split.complete && split.reportJson ? [] : [`${node.name}: no complete report between the markers`];
  });
  if (problems.length > 0) throw new Error(`baseline run not clean:\n${problems.slice(0, 5).join('\n')}`);
};
