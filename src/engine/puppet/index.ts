/** Puppet runs on nodes: the command line, reading its result, and the normalized report. */
export type { PuppetCommand, PuppetCommandConfig, PuppetCommandOptions, PuppetMode } from './command.js';
export {
  buildPuppetCommand,
  createNonce,
  libDirOf,
  REPORT_OUT_ENV,
  REPORT_PROCESSOR_FILE,
  REPORT_PROCESSOR_NAME,
  reportProcessorModuleDir,
} from './command.js';
export type { NormalizeContext, NormalizeResult } from './normalize.js';
export { normalizeReport, normalizeRun } from './normalize.js';
export type { PuppetRun, RunInput, RunOutcome, StderrError } from './outcome.js';
export {
  interpretExec,
  interpretRun,
  outcomeOfReport,
  parseStderrErrors,
  shadowedProblem,
} from './outcome.js';
export type { SplitOutput } from './protocol.js';
export { splitRunOutput } from './protocol.js';
export type { ReducedReport, ReportError, ReportErrorCode } from './report-schema.js';
export { MAX_REPORT_BYTES, parseReducedReport } from './report-schema.js';
export type { EvaluationError, NormalizedReport, ResourceChange, ResourceEvent } from './types.js';
