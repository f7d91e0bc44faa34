import { errorText } from '../errors.js';
import type { ContainerLimits, ContainerRuntime } from '../ports/containers.js';
import { formatDuration } from '../text/duration.js';
import type { BuildLogCapture } from './log.js';
import type { StagePlan } from './pipeline.js';
import type { BuildRecord, BuildStatus, StageRecord } from './records.js';
import { limitReason } from './runner-limits.js';

/** The abort reason of a kill: who asked. */
export class BuildKilled extends Error {
  readonly by: string;
  constructor(by: string) {
    super(`killed by ${by}`);
    this.name = 'BuildKilled';
    this.by = by;
  }
}

/** The abort reason of a timeout: which limit, and how long it was. */
export class BuildTimeout extends Error {
  readonly scope: 'build' | 'stage';
  constructor(scope: 'build' | 'stage', ms: number) {
    super(`the ${scope} timeout of ${formatDuration(ms)} was reached`);
    this.name = 'BuildTimeout';
    this.scope = scope;
  }
}

export interface StagesRun {
  record: BuildRecord;
  plans: StagePlan[];
  runtime: ContainerRuntime;
  containerId: string;
  capture: BuildLogCapture;
  /** The container's limits, to word a stage that ran into one. */
  limits: ContainerLimits;
  signal: AbortSignal;
  now: () => number;
  /** Secret values for the stages' environment (none for untrusted builds). */
  secretEnv?: Readonly<Record<string, string>>;
  /** A stage is about to run (its row has startedAt): persist it, so readers see the running stage. */
  onStageStart(row: StageRecord): Promise<void>;
  /** After each stage row is final (log is absent for skipped and not-run stages). */
  onStage(stage: { row: StageRecord; key: string; log?: string }): Promise<void>;
}

/**
 * The stages in order, each an `sh -e -c` exec. The first stage that does not pass ends the
 * build: later stages stay `not_run` with the reason. Skipped stages are recorded as skipped.
 */
export const runStages = async (run: StagesRun): Promise<{ status: BuildStatus; error?: string }> => {
  const { record, plans } = run;
  let ended: { status: BuildStatus; error?: string; why: string } | undefined;
  for (const [index, plan] of plans.entries()) {
    const row = record.stages[index];
    if (!row) continue;
    if (ended) {
      row.reason = ended.why;
      continue;
    }
    if (!plan.run) {
      row.status = 'skipped';
      if (plan.reason) row.reason = plan.reason;
      await run.onStage({ row, key: row.key });
      continue;
    }
    const result = await runOne(run, index, row);
    if (result) ended = result;
  }
  if (!ended) return { status: 'passed' };
  return { status: ended.status, ...(ended.error ? { error: ended.error } : {}) };
};

const runOne = async (
  {
    record,
    plans,
    runtime,
    containerId,
    capture,
    limits,
    signal,
    now,
    onStageStart,
    onStage,
    secretEnv,
  }: StagesRun,
  index: number,
  row: StageRecord,
): Promise<{ status: BuildStatus; error?: string; why: string } | undefined> => {
  const plan = plans[index];
  if (!plan) return undefined;
  const { stage } = plan;
  const stageCapture = capture.stage();
  const timers = new AbortController();
  const timer = stage.timeoutMs
    ? setTimeout(() => timers.abort(new BuildTimeout('stage', stage.timeoutMs ?? 0)), stage.timeoutMs)
    : undefined;
  const stop = AbortSignal.any([signal, timers.signal]);
  row.startedAt = now();
  await onStageStart(row);
  let ended: { status: BuildStatus; error?: string; why: string } | undefined;
  try {
    const { exitCode } = await runtime.exec(containerId, {
      script: stage.script.join('\n'),
      env: stageEnv(record, index, secretEnv),
      workdir: record.definition.workdir,
      signal: stop,
      onOutput: (chunk, stream) => stageCapture.write(chunk, stream),
    });
    row.exitCode = exitCode;
    row.status = exitCode === 0 ? 'passed' : 'failed';
    if (exitCode !== 0) {
      const limit = await limitHit(runtime, containerId, exitCode, limits);
      row.reason = limit ?? `exited with code ${exitCode}`;
      ended = {
        status: 'failed',
        ...(limit ? { error: `stage ${row.key}: ${limit}` } : {}),
        why: `stage ${row.key} failed`,
      };
    }
  } catch (error) {
    const reason = stop.reason;
    if (stop.aborted && reason instanceof BuildTimeout) {
      row.status = 'timed_out';
      row.reason = reason.message;
      ended = {
        status: 'timed_out',
        error: `stage ${row.key}: ${reason.message}`,
        why: `stage ${row.key} timed out`,
      };
    } else if (stop.aborted) {
      row.status = 'cancelled';
      row.reason = reason instanceof Error ? reason.message : 'cancelled';
      ended = { status: 'cancelled', why: 'the build was cancelled' };
    } else {
      // The engine failed under the stage: no exit code to report, and the build is not to blame.
      row.status = 'failed';
      // Literal text (views escape it): a HecklerError's mrkdwn message is unescaped.
      row.reason = capture.mask(errorText(error));
      ended = {
        status: 'error',
        error: `stage ${row.key}: ${row.reason}`,
        why: `stage ${row.key} could not run`,
      };
    }
  } finally {
    clearTimeout(timer);
    row.durationMs = now() - (row.startedAt ?? now());
  }
  await onStage({ row, key: row.key, log: stageCapture.finish() });
  return ended;
};

/** Which limit explains a failed stage, if any; a probe that fails explains nothing. */
const limitHit = async (
  runtime: ContainerRuntime,
  containerId: string,
  exitCode: number,
  limits: ContainerLimits,
): Promise<string | undefined> => {
  try {
    return limitReason(exitCode, await runtime.limitsReached(containerId), limits);
  } catch {
    return undefined;
  }
};

/**
 * Pipeline env, then the stage's own over it, then HECKLER_* last: scripts can rely on those
 * describing this build, whatever the file sets. CI=true by default, as most tools expect.
 */
export const stageEnv = (
  record: BuildRecord,
  index: number,
  secretEnv: Readonly<Record<string, string>> = {},
): Record<string, string> => {
  const stage = record.definition.stages[index];
  return {
    CI: 'true',
    ...record.definition.env,
    ...stage?.env,
    // heckler.yml's secrets win over the file's: an ocelot.yml cannot shadow a token with its own value.
    ...secretEnv,
    HECKLER_BUILD_ID: String(record.id),
    HECKLER_REPO: record.repo,
    HECKLER_BRANCH: record.branch,
    HECKLER_SHA: record.sha,
    HECKLER_PIPELINE: record.pipeline,
    HECKLER_STAGE: record.stages[index]?.key ?? stage?.name ?? '',
    HECKLER_WORKDIR: record.definition.workdir,
  };
};
