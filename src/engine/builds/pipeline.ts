import { HecklerError } from '../errors.js';
import { describeFound, isMapping } from '../text/describe-value.js';
import { escapeText } from '../text/mrkdwn.js';
import { matchesSomewhere } from '../text/safe-regex.js';
import { checkNamedPipelines, checkPipeline, type Findings, trimKeys } from './pipeline-checks.js';
import { describeIssue } from './pipeline-issues.js';
import {
  DEFAULT_PIPELINE,
  namedPipelinesInput,
  type Pipeline,
  type PipelineInput,
  pipelineInput,
  type Stage,
  toPipeline,
} from './pipeline-schema.js';
import {
  branchNameProblem,
  describeClause,
  describeTrigger,
  matchingClause,
  type TriggerContext,
} from './triggers.js';
import { readYaml } from './yaml-source.js';

export type { Notify, NotifyEvent, Pipeline, Stage } from './pipeline-schema.js';
export type { TriggerContext, TriggerExpr } from './triggers.js';

/** Warnings ride along on failure too, so `/heckler validate` can show everything at once. */
export type PipelineParse =
  | { ok: true; pipelines: Pipeline[]; warnings: string[] }
  | { ok: false; errors: string[]; warnings: string[] };

/**
 * Reads an ocelot.yml: one top-level pipeline (Ocelot's format, plus our extensions) or several
 * under `pipelines:`. Pure; `source` only names the file in messages that have no key path.
 */
export const parsePipelineFile = (text: string, source = 'ocelot.yml'): PipelineParse => {
  const read = readYaml(text, source);
  if (!read.ok) return { ok: false, errors: read.errors, warnings: [] };
  const findings: Findings = { errors: [], warnings: [...read.warnings] };
  const root = trimKeys(read.value, [], findings);
  if (!isMapping(root)) {
    const errors = [
      `(top level): expected a mapping with keys such as image: and stages:, found ${describeFound(root)}`,
    ];
    return { ok: false, errors, warnings: findings.warnings };
  }
  const units = 'pipelines' in root ? parseNamed(root, findings) : parseSingle(root, findings);
  if (findings.errors.length > 0 || units === undefined) {
    return { ok: false, errors: findings.errors, warnings: findings.warnings };
  }
  return {
    ok: true,
    pipelines: units.map(([name, input]) => toPipeline(name, input)),
    warnings: findings.warnings,
  };
};

type Parsed = Array<[name: string, input: PipelineInput]> | undefined;

const parseSingle = (root: Record<string, unknown>, findings: Findings): Parsed => {
  const parsed = pipelineInput.safeParse(root, { reportInput: true });
  if (!parsed.success)
    findings.errors.push(...parsed.error.issues.flatMap((issue) => describeIssue(issue, root)));
  checkPipeline(root, [], findings);
  return parsed.success ? [[DEFAULT_PIPELINE, parsed.data]] : undefined;
};

const parseNamed = (root: Record<string, unknown>, findings: Findings): Parsed => {
  const parsed = namedPipelinesInput.safeParse({ pipelines: root.pipelines }, { reportInput: true });
  if (!parsed.success)
    findings.errors.push(...parsed.error.issues.flatMap((issue) => describeIssue(issue, root)));
  checkNamedPipelines(root, findings);
  return parsed.success ? Object.entries(parsed.data.pipelines) : undefined;
};

/** For callers that fail rather than report: the build runner, the validate command. */
export const pipelineInvalid = (source: string, errors: readonly string[]): HecklerError => {
  const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
  return new HecklerError(
    'PIPELINE_INVALID',
    escapeText(`${source} is invalid (${count}):\n${errors.map((e) => `  - ${e}`).join('\n')}`),
    {
      hint: 'fix the keys named above and push again; `/heckler validate REPO` checks the file without building',
    },
  );
};

/**
 * Whether a push to `branch` builds at all under the pipeline's `branches:` (sources are stored
 * anchored, so a search is a whole match). A name over the length cap builds under no pipeline.
 */
export const branchAllowed = (pipeline: Pipeline, branch: string): boolean =>
  branchNameProblem(branch) === undefined &&
  (pipeline.branches === 'ALL' || pipeline.branches.some((source) => matchesSomewhere(source, branch)));

/** `[skip ci]` or `[ci skip]` anywhere in the message, any case, as most CI servers accept. */
export const isSkipCi = (message: string): boolean => /\[\s*(?:skip\s+ci|ci\s+skip)\s*\]/i.test(message);

export interface StagePlan {
  stage: Stage;
  run: boolean;
  /** Why the stage runs or is skipped; absent for stages without a trigger. */
  reason?: string;
}

/**
 * Which stages of a build run for this commit. Skipped stages stay in the list, so the build
 * records them as skipped with the reason.
 */
export const stagesFor = (pipeline: Pipeline, commit: TriggerContext): StagePlan[] =>
  pipeline.stages.map((stage) => {
    if (!stage.trigger) return { stage, run: true };
    const clause = matchingClause(stage.trigger, commit);
    return clause
      ? { stage, run: true, reason: `trigger met: ${describeClause(clause)}` }
      : { stage, run: false, reason: `trigger not met: ${describeTrigger(stage.trigger)}` };
  });
