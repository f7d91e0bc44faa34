import type { ExecResult } from '../ports/transport.js';
import { REPORT_PROCESSOR_NAME } from './processor-name.js';
import { splitRunOutput } from './protocol.js';
import { parseReducedReport, type ReducedReport, type ReportError } from './report-schema.js';

export type RunOutcome = 'unchanged' | 'changes' | 'failed' | 'compile_error' | 'timed_out';

/** An `Error:` that Puppet printed on stderr (Facter's sandbox noise left out), location split off. */
export interface StderrError {
  /** Without the `Error: ` prefix, the trailing `(file: …, line: …)` and `on node …`. */
  message: string;
  /** As Puppet printed it (absolute); normalization makes it relative to the checkout. */
  file?: string;
  line?: number;
  column?: number;
  /** The certname from `on node …`. */
  node?: string;
}

export interface RunInput {
  exitCode: number | null;
  /** Puppet's stdout (markers already split off). */
  stdout: string;
  stderr: string;
  /** The reduced report, when Puppet ran the processor. */
  reportJson?: string;
  /** The transport killed the command (the node-side `timeout` did not get there first). */
  timedOut?: boolean;
}

export interface PuppetRun {
  outcome: RunOutcome;
  exitCode: number | null;
  report?: ReducedReport;
  /** Puppet's `Error:` lines from stderr: the compile error, above all. */
  errors: StderrError[];
  /** Why it failed when Puppet's own errors do not say: no report, unreadable report, a shell error. */
  problem?: string;
  /** When a report came but could not be read. */
  reportError?: ReportError;
  /**
   * Files in the modulepath that define Heckler's own report processor: the wrapper refused to run
   * Puppet, since whatever such a file writes would be read as the node's report.
   */
  shadowed?: string[];
}

/** `timeout` exits 124 after TERM, 137 when it had to KILL. */
const TIMEOUT_CODES = new Set([124, 137]);
const STDERR_TAIL = 2_000;

/**
 * Reads a finished run. With --detailed-exitcodes: 0 nothing to do, 2 changes, 4 failures,
 * 6 changes and failures, 1 compile (or other fatal) error. Puppet 7 exits 0 from a noop that has
 * pending changes, so "changes" comes from the report (noop_pending, events), not the exit code.
 */
export const interpretRun = (input: RunInput): PuppetRun => {
  const { exitCode } = input;
  const errors = parseStderrErrors(input.stderr);
  const base = { exitCode, errors };
  if (input.timedOut || (exitCode !== null && TIMEOUT_CODES.has(exitCode))) {
    return { ...base, outcome: 'timed_out', problem: 'puppet did not finish in time and was stopped' };
  }
  if (exitCode === null) return { ...base, outcome: 'failed', problem: 'puppet was killed by a signal' };
  if (input.reportJson === undefined) {
    if (exitCode === 1 && errors.length > 0) return { ...base, outcome: 'compile_error' };
    return { ...base, outcome: 'failed', problem: noReport(exitCode, input.stderr) };
  }
  const parsed = parseReducedReport(input.reportJson);
  if (!parsed.ok) {
    const failedAnyway = exitCode === 1 && errors.length > 0 ? 'compile_error' : 'failed';
    return { ...base, outcome: failedAnyway, problem: parsed.error.message, reportError: parsed.error };
  }
  const report = parsed.report;
  return { ...base, report, outcome: outcomeOfReport(report, exitCode) };
};

/** The outcome a report shows; with the exit code when there is one (0 when unknown). */
export const outcomeOfReport = (report: ReducedReport, exitCode = 0): RunOutcome => {
  const failedResources = report.resource_statuses.some(
    (status) => status.failed || status.failed_to_restart,
  );
  if (exitCode === 4 || exitCode === 6 || exitCode === 1 || failedResources) return 'failed';
  if (report.status === 'failed' || !report.transaction_completed) return 'failed';
  if (exitCode !== 0 && exitCode !== 2) return 'failed';
  const pending = report.noop_pending || report.resource_statuses.some((status) => status.events.length > 0);
  return exitCode === 2 || pending ? 'changes' : 'unchanged';
};

/** Why a checkout holding a copy of our processor gets no noop: the reviewer and its author read it. */
export const shadowedProblem = (files: readonly string[]): string =>
  `the checkout defines Heckler's own report processor (${files.join(', ')}): its report cannot be trusted; ` +
  `remove ${files.length === 1 ? 'that file' : 'those files'}`;

/** How to say that Puppet is missing, and how to get it: the startup notice and failed runs share it. */
export const puppetNotInstalled = (command: string, where: string): string =>
  `${command} is not installed on ${where}: \`sudo apt-get install puppet\` (Debian/Ubuntu) or install openvox`;

/** `timeout` (the wrapper runs Puppet through it) could not find the Puppet command; quotes follow the locale. */
const MISSING_PUPPET = /timeout: failed to run command ['‘"]([^'’"]+)['’"]: No such file or directory/;

const noReport = (exitCode: number, stderr: string): string => {
  const tail = stderrTail(stderr);
  const missing = exitCode === 127 ? MISSING_PUPPET.exec(stderr) : null;
  if (missing) return puppetNotInstalled(missing[1] as string, 'the node');
  if (exitCode === 127) return `puppet command not found on the node${tail}`;
  if (exitCode === 0 || exitCode === 2) {
    return `puppet exited ${exitCode} but wrote no reduced report: is the ${REPORT_PROCESSOR_NAME} module on its modulepath?${tail}`;
  }
  return `puppet exited ${exitCode} without a report${tail}`;
};

const stderrTail = (stderr: string): string => {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '' && !isFacterNoise(line));
  const tail = lines.join('\n').slice(-STDERR_TAIL);
  return tail === '' ? '' : `:\n${tail}`;
};

/** Facter cannot read /proc/1/environ in containers and sandboxes; it says so on every run. */
const isFacterNoise = (line: string) => line.startsWith('Error: Facter: ');

const LEVEL_PREFIX = /^(Debug|Info|Notice|Warning|Error|Alert|Emergency|Critical): /;
/** `… (file: /x.pp, line: 6, column: 16) on node node1.example.com` at the end of a message. */
const LOCATION = /\s*\(file: ([^,()]+?)(?:, line: (\d+))?(?:, column: (\d+))?\)(?: on node (\S+))?\s*$/;
const ON_NODE = /\s+on node (\S+)\s*$/;

/** The `Error:` entries of Puppet's console output; continuation lines belong to the entry above. */
export const parseStderrErrors = (stderr: string): StderrError[] => {
  const entries: string[] = [];
  let current: string[] | undefined;
  for (const line of stderr.split('\n')) {
    const level = LEVEL_PREFIX.exec(line);
    if (level) {
      if (current) entries.push(current.join('\n'));
      current = level[1] === 'Error' && !isFacterNoise(line) ? [line.slice(level[0].length)] : undefined;
    } else if (current && line !== '') {
      current.push(line);
    }
  }
  if (current) entries.push(current.join('\n'));
  return entries.map(splitErrorLocation);
};

/** `Unknown function: 'x'. (file: /a.pp, line: 6, column: 16) on node n1` → message, file, line, column, node. */
export const splitErrorLocation = (entry: string): StderrError => {
  const located = LOCATION.exec(entry);
  if (located) {
    const [, file, line, column, node] = located;
    return {
      message: entry.slice(0, located.index),
      ...(file === undefined ? {} : { file }),
      ...(line === undefined ? {} : { line: Number(line) }),
      ...(column === undefined ? {} : { column: Number(column) }),
      ...(node === undefined ? {} : { node }),
    };
  }
  const onNode = ON_NODE.exec(entry);
  if (onNode) return { message: entry.slice(0, onNode.index), node: onNode[1] as string };
  return { message: entry };
};

/**
 * From a transport result straight to a run: splits the markers off stdout first. Markers missing
 * means the wrapper never ran Puppet (no checkout, no disk space): a failure with the shell's words.
 */
export const interpretExec = (
  result: Pick<ExecResult, 'status' | 'exitCode' | 'stdout' | 'stderr'>,
  nonce: string,
): PuppetRun => {
  const split = splitRunOutput(result.stdout, nonce);
  if (split.shadowed) {
    const errors = parseStderrErrors(result.stderr);
    return {
      outcome: 'failed',
      exitCode: result.exitCode,
      errors,
      shadowed: split.shadowed,
      problem: shadowedProblem(split.shadowed),
    };
  }
  const timedOut = result.status === 'timed_out';
  if (!split.complete && !timedOut) {
    const errors = parseStderrErrors(result.stderr);
    const problem = `the puppet wrapper did not run to the end (exit ${result.exitCode ?? 'none'})${stderrTail(result.stderr)}`;
    return { outcome: 'failed', exitCode: result.exitCode, errors, problem };
  }
  return interpretRun({
    exitCode: split.exitCode ?? result.exitCode,
    stdout: split.stdout,
    stderr: result.stderr,
    ...(split.reportJson === undefined ? {} : { reportJson: split.reportJson }),
    timedOut,
  });
};
