import { outcomeOfReport, type PuppetRun, type RunOutcome, splitErrorLocation } from './outcome.js';
import { parseReducedReport, type ReducedReport, type ReportError } from './report-schema.js';
import { attachLogs, type Draft, draftOf, type Unattached } from './resources.js';
import { cleanErrorMessage, cleanText, isNoise, isRefresh, relativePath, type TextContext } from './text.js';
import type { EvaluationError, NormalizedReport, ResourceChange } from './types.js';

export type { EvaluationError, NormalizedReport, ResourceChange, ResourceEvent } from './types.js';

export interface NormalizeContext {
  node: string;
  /** The checkout directory on the node; stripped from file names. */
  checkout: string;
  /** The node's workDir; shown as `<workDir>` in messages and diffs (local nodes share a machine). */
  workDir?: string;
  /** Also removed from error messages; default the report's host. */
  certname?: string;
}

export type NormalizeResult = { ok: true; report: NormalizedReport } | { ok: false; error: ReportError };

/**
 * A reduced report (JSON text, bytes or a parsed value) → the normalized report. Malformed input
 * (empty, truncated, wrong shape, too large) is a typed error, never an exception.
 */
export const normalizeReport = (input: unknown, context: NormalizeContext): NormalizeResult => {
  const parsed = parseReducedReport(input);
  if (!parsed.ok) return parsed;
  return { ok: true, report: fromReport(parsed.report, outcomeOfReport(parsed.report), context) };
};

/** A run read by `interpretRun`/`interpretExec` → the normalized report, whatever happened. */
export const normalizeRun = (run: PuppetRun, context: NormalizeContext): NormalizedReport => {
  if (run.report) return fromReport(run.report, run.outcome, context);
  // `on node <certname>` names the certname even when the config does not.
  const certname = context.certname ?? run.errors.find((error) => error.node !== undefined)?.node;
  const text = textContext(context, certname);
  const fromStderr = run.errors.map((error) => cleanError(error, text));
  return {
    node: context.node,
    outcome: run.outcome,
    configurationVersion: null,
    resources: [],
    evalErrors: dedupe(fromStderr),
    messages: [],
    ...(run.problem === undefined ? {} : { problem: cleanText(run.problem, text) }),
  };
};

const textContext = (context: NormalizeContext, certname: string | undefined): TextContext => ({
  checkout: context.checkout.replace(/\/+$/, ''),
  ...(context.workDir === undefined ? {} : { workDir: context.workDir.replace(/\/+$/, '') }),
  names: [...new Set([context.node, certname ?? ''])].filter((name) => name !== ''),
});

const fromReport = (
  report: ReducedReport,
  outcome: RunOutcome,
  context: NormalizeContext,
): NormalizedReport => {
  const text = textContext(context, context.certname ?? report.host);
  const drafts = new Map<string, Draft>(
    report.resource_statuses.map((status) => [status.path, draftOf(status, text)]),
  );
  const unattached = attachLogs(report.logs, drafts, text);
  const resources = [...drafts.values()]
    .map((draft) => draft.change)
    .filter((change) => change.events.length > 0 || change.failed || change.refresh || change.logs.length > 0)
    .sort((a, b) => compare(`${a.type}[${a.title}]`, `${b.type}[${b.title}]`));
  const { evalErrors, messages } = classifyUnattached(unattached, resources, text);
  return {
    node: context.node,
    outcome,
    configurationVersion: report.configuration_version,
    resources,
    evalErrors,
    messages,
  };
};

/**
 * Logs about no resource. Errors become evaluation errors, except Puppet's echo of a resource
 * failure ("Could not set 'file' on ensure…" arrives once from the resource, once from "Puppet").
 */
const classifyUnattached = (logs: Unattached[], resources: ResourceChange[], text: TextContext) => {
  const failures = resources.flatMap((change) => change.logs);
  const evalErrors: EvaluationError[] = [];
  const messages: string[] = [];
  for (const log of logs) {
    if (isNoise(log.message) || isRefresh(log.message)) continue;
    if (ERROR_LEVELS.has(log.level)) {
      const firstLine = cleanText(log.message, text).split('\n')[0] ?? '';
      if (failures.some((message) => message.includes(firstLine))) continue;
      evalErrors.push(cleanError(splitErrorLocation(log.message), text));
    } else {
      const from = log.source === 'Puppet' || log.source === '' ? '' : `${log.source}: `;
      messages.push(`${log.level === 'warning' ? 'Warning: ' : ''}${from}${cleanText(log.message, text)}`);
    }
  }
  return { evalErrors: dedupe(evalErrors), messages: [...new Set(messages)] };
};

const ERROR_LEVELS = new Set(['err', 'alert', 'emerg', 'crit']);

const cleanError = (
  error: { message: string; file?: string; line?: number; column?: number },
  text: TextContext,
): EvaluationError => ({
  message: cleanErrorMessage(error.message, text),
  ...(error.file === undefined ? {} : { file: relativePath(error.file, text) }),
  ...(error.line === undefined ? {} : { line: error.line }),
  ...(error.column === undefined ? {} : { column: error.column }),
});

/** The same error twice (Puppet repeats itself) is one error. */
const dedupe = (errors: EvaluationError[]): EvaluationError[] => {
  const seen = new Map<string, EvaluationError>();
  for (const error of errors)
    seen.set(JSON.stringify([error.message, error.file, error.line, error.column]), error);
  return [...seen.values()];
};

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
