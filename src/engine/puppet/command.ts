import { randomBytes } from 'node:crypto';
import { nodeLayout } from '../fleet/node-layout.js';
import { shellQuote } from '../fleet/shell-quote.js';
import type { NodeSpec } from '../ports/transport.js';
import { REPORT_PROCESSOR_NAME } from './processor-name.js';
import { beginMarkerFormat, endMarkerFormat, isNonce } from './protocol.js';
import { shadowGuard } from './shadow-guard.js';

export type { PuppetRun, RunInput, RunOutcome, StderrError } from './outcome.js';
export { interpretExec, interpretRun, parseStderrErrors, shadowedProblem } from './outcome.js';
export { REPORT_PROCESSOR_FILE, REPORT_PROCESSOR_NAME, reportProcessorModuleDir } from './processor-name.js';
export type { SplitOutput } from './protocol.js';
export { splitRunOutput } from './protocol.js';

/** The `puppet` section of the config (src/config/fleet-schema.ts), as the engine needs it. */
export interface PuppetCommandConfig {
  command: string;
  /** Extra arguments; `{workDir}` in one is replaced by the node's workDir (see `expandNodeArgs`). */
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Relative to the checkout. */
  manifest: string;
  /** Relative to the checkout unless absolute. */
  modulepath: readonly string[];
  noopTimeout: number;
  applyTimeout: number;
}

export type PuppetMode = 'noop' | 'apply';

export interface PuppetCommandOptions {
  config: PuppetCommandConfig;
  node: NodeSpec;
  mode: PuppetMode;
  /** From `createNonce()`: the markers carry it, so no file content printed by Puppet can forge them. */
  nonce: string;
  /** Default `nodeLayout(node).checkout` (`<workDir>/checkout`). */
  checkoutDir?: string;
  /** The directory holding our processor's module (`REPORT_PROCESSOR_NAME`); default `<workDir>/lib`. */
  libDir?: string;
}

export interface PuppetCommand {
  /** One shell command line for `NodeTransport.exec`. */
  command: string;
  /** For `exec`'s `timeoutMs`: the node-side `timeout` plus its kill grace, so the node gives up first. */
  execTimeoutMs: number;
}

/** The env var the processor writes its JSON to. */
export const REPORT_OUT_ENV = 'HECKLER_REPORT_OUT';

/** Seconds between `timeout`'s TERM and its KILL; Puppet needs a moment to release its lock. */
const KILL_AFTER_S = 30;
const EXEC_GRACE_MS = (KILL_AFTER_S + 30) * 1000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Puppet's own stdout is informational (the report has everything): its last 64 KiB are enough. */
const STDOUT_TAIL_BYTES = 65_536;
const STDOUT_CUT = `[heckler: puppet stdout cut to its last ${STDOUT_TAIL_BYTES} bytes]`;

export const createNonce = (): string => randomBytes(12).toString('hex');

/** Where our processor's module lives on a node unless the caller says otherwise. */
export const libDirOf = (node: Pick<NodeSpec, 'workDir'>): string =>
  `${node.workDir.replace(/\/+$/, '')}/lib`;

/** In `puppet.args`, stands for the node's workDir: per-node Puppet directories from one config line. */
export const WORKDIR_PLACEHOLDER = '{workDir}';

/**
 * `puppet.args` for one node: `{workDir}` becomes its workDir (no trailing slash), so nodes sharing
 * a machine (the local transport) can each have their own `--vardir {workDir}/puppet/var`.
 */
export const expandNodeArgs = (args: readonly string[], node: Pick<NodeSpec, 'workDir'>): string[] => {
  const workDir = node.workDir.replace(/\/+$/, '');
  return args.map((arg) => arg.replaceAll(WORKDIR_PLACEHOLDER, workDir));
};

/**
 * The node-side command for one noop or apply: Puppet's stdout (its tail), then the report between
 * markers (protocol.ts); stderr passes through. It exits with Puppet's exit code (124/137 when
 * `timeout` stopped it). The report is empty when Puppet ran no report processor, which
 * `puppet apply` skips on a catalog compile failure.
 *
 * Our lib dir comes first on the modulepath, so that a module in the checkout cannot replace our
 * processor; one that defines it anyway gets the run refused before Puppet starts (shadow-guard.ts).
 */
export const buildPuppetCommand = (options: PuppetCommandOptions): PuppetCommand => {
  const { config, node, mode, nonce } = options;
  if (!isNonce(nonce)) throw new Error(`bad marker nonce '${nonce}': use createNonce()`);
  const checkout = options.checkoutDir ?? nodeLayout(node).checkout;
  const lib = options.libDir ?? libDirOf(node);
  const within = (path: string) => (path.startsWith('/') ? path : `${checkout}/${path}`);
  const modulepath = config.modulepath.map(within);
  const timeoutMs = mode === 'noop' ? config.noopTimeout : config.applyTimeout;
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const env = Object.entries(config.env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new Error(`bad environment variable name '${name}'`);
    return `${name}=${shellQuote(value)}`;
  });
  const puppet = [
    config.command,
    'apply',
    // --no-noop too: a node whose puppet.conf says noop=true must not turn an apply into a noop
    mode === 'noop' ? '--noop' : '--no-noop',
    '--detailed-exitcodes',
    '--show_diff',
    '--color=false',
    '--modulepath',
    [lib, ...modulepath].join(':'),
    '--reports',
    REPORT_PROCESSOR_NAME,
    '--certname',
    node.certname,
    ...expandNodeArgs(config.args, node),
    within(config.manifest),
  ].map(shellQuote);
  const run = [
    ...env,
    `${REPORT_OUT_ENV}="$out"`,
    `timeout --kill-after=${KILL_AFTER_S} ${seconds}`,
    ...puppet,
  ].join(' ');
  const command = [
    `cd ${shellQuote(checkout)} &&`,
    `${shadowGuard(modulepath, checkout, nonce)} &&`,
    `out=$(mktemp ${shellQuote(`${node.workDir}/report.XXXXXX`)}) && {`,
    `${run} >"$out.stdout";`,
    'code=$?;',
    // Puppet's stdout repeats every diff, uncapped: the report has them, so only its tail travels
    `if [ "$(wc -c <"$out.stdout")" -gt ${STDOUT_TAIL_BYTES} ]; then echo '${STDOUT_CUT}'; fi;`,
    `tail -c ${STDOUT_TAIL_BYTES} "$out.stdout";`,
    `printf '${beginMarkerFormat(nonce)}' "$code";`,
    'cat "$out";',
    `printf '${endMarkerFormat(nonce)}';`,
    // the processor's own temp file too, should it have died while writing
    'rm -f "$out" "$out.stdout" "$out".*.tmp;',
    'exit "$code"; }',
  ].join(' ');
  return { command, execTimeoutMs: seconds * 1000 + EXEC_GRACE_MS };
};
