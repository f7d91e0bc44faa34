import { errorText } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { HostSlot, RegistryAuth } from '../ports/containers.js';
import type { Logger } from '../ports/logger.js';
import { BuildLogCapture, type BuildLogs, type LogLimits } from './log.js';
import { stagesFor } from './pipeline.js';
import type { BuildRecord, BuildRecords, BuildStatus, StageRecord } from './records.js';
import { DEFAULT_RESOURCE_POLICY, limitsFor, type ResourcePolicy } from './runner-limits.js';
import { BuildKilled, BuildTimeout, runStages } from './runner-stages.js';

export { BuildKilled, BuildTimeout } from './runner-stages.js';

/** What the chat layer hears about a build; errors thrown here are logged, never fail the build. */
export interface BuildProgress {
  /** After every status change: running, and the final status. */
  onStatus?(build: BuildRecord): void | Promise<void>;
  /** After each stage ends, and for each skipped stage. */
  onStageFinished?(build: BuildRecord, stage: StageRecord): void | Promise<void>;
}

export interface RunnerDeps {
  records: BuildRecords;
  logs: BuildLogs;
  clock: Clock;
  logger: Logger;
  /** Values masked as [masked] wherever they appear in a build's log or error. */
  secrets?: readonly string[];
  /** Defaults: 4 MiB per build, and the last 64 KiB of each stage past that. */
  logLimits?: Partial<LogLimits>;
  /** Registry credentials for pulling an image, from config; never for untrusted builds. */
  registryAuth?: (image: string) => RegistryAuth | undefined;
  /** A repository's secret environment values (heckler.yml `secretEnv`); never for untrusted builds. */
  secretEnv?: (repo: string) => Readonly<Record<string, string>>;
  /** `heckler.instance` label: tells this bot's containers from another's on a shared host. */
  instance?: string;
  /** Memory, CPUs, pids and timeout of each build; DEFAULT_RESOURCE_POLICY when absent. */
  resources?: ResourcePolicy;
  progress?: BuildProgress;
}

export interface RunRequest {
  /** A queued build; the runner owns the record until it returns it finished. */
  build: BuildRecord;
  /** The repository tree at the build's commit as an uncompressed tar (fetched late: it can be big). */
  tree: () => Promise<Buffer>;
  slot: HostSlot;
  /** Abort with a BuildKilled reason to cancel. */
  signal?: AbortSignal;
}

/** ocelot.yml asked for more than the maxima: the build errors before anything starts. */
class LimitsRefused extends Error {}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxBytes: 4 * 1024 * 1024, tailBytes: 64 * 1024 };

export const buildLabels = (build: BuildRecord, instance: string): Record<string, string> => ({
  'heckler.build': String(build.id),
  'heckler.repo': build.repo,
  'heckler.instance': instance,
});

/**
 * Runs one build in one container on the slot's host: image, container, tree, then the stages in
 * order. Never throws for the build's or the engine's trouble; the returned record says what
 * happened. The container is removed whatever the outcome.
 */
export const runBuild = async (
  deps: RunnerDeps,
  { build, tree, slot, signal }: RunRequest,
): Promise<BuildRecord> => {
  const { clock, records, logger } = deps;
  const log = logger.child({ build: build.id, repo: build.repo, host: slot.host });
  const capture = new BuildLogCapture({ ...DEFAULT_LOG_LIMITS, ...deps.logLimits }, deps.secrets ?? []);
  const notify = async (hook: () => void | Promise<void> | undefined) => {
    try {
      await hook();
    } catch (error) {
      log.warn({ err: error }, 'build progress callback failed');
    }
  };
  const record: BuildRecord = { ...build, status: 'running', startedAt: clock.now(), host: slot.host };
  record.waitMs = (record.startedAt ?? 0) - build.queuedAt;
  await records.save(record);
  await notify(() => deps.progress?.onStatus?.(record));

  const { definition } = record;
  const resolved = limitsFor(deps.resources ?? DEFAULT_RESOURCE_POLICY, record.repo, definition);
  const timers = new AbortController();
  const timeoutMs = resolved.ok ? resolved.limits.timeoutMs : undefined;
  const buildTimer = timeoutMs
    ? setTimeout(() => timers.abort(new BuildTimeout('build', timeoutMs)), timeoutMs)
    : undefined;
  const stop = signal ? AbortSignal.any([signal, timers.signal]) : timers.signal;
  const runtime = slot.runtime;
  let outcome: { status: BuildStatus; error?: string };
  try {
    if (!resolved.ok) throw new LimitsRefused(resolved.error);
    const { limits } = resolved;
    // A fork's pull request runs code nobody here reviewed: it gets nothing that is ours to guard.
    const trusted = record.trigger.untrusted !== true;
    const auth = trusted ? deps.registryAuth?.(definition.image) : undefined;
    await runtime.ensureImage(definition.image, { ...(auth ? { auth } : {}), signal: stop });
    const tar = await abortable(tree(), stop);
    const labels = buildLabels(record, deps.instance ?? 'heckler');
    const started = await abortable(
      runtime.start({ image: definition.image, labels, workdir: definition.workdir, limits }),
      stop,
      (late) => runtime.remove(late.id),
    );
    record.containerId = started.id;
    await records.save(record);
    await abortable(runtime.copyIn(started.id, tar, definition.workdir), stop);
    const plans = stagesFor(definition, { branch: record.branch, ...record.commit });
    outcome = await runStages({
      record,
      plans,
      runtime,
      containerId: started.id,
      capture,
      limits,
      signal: stop,
      now: () => clock.now(),
      ...(trusted && deps.secretEnv ? { secretEnv: deps.secretEnv(record.repo) } : {}),
      onStageStart: () => records.save(record),
      onStage: async (stage) => {
        await records.save(record);
        if (stage.log !== undefined) await deps.logs.save(record.id, stage.key, stage.log);
        await notify(() => deps.progress?.onStageFinished?.(record, stage.row));
      },
    });
  } catch (error) {
    outcome = stopped(stop) ?? { status: 'error', error: describe(error) };
    if (error instanceof LimitsRefused) log.info({ reason: error.message }, 'build refused: over the limits');
    else if (outcome.status === 'error')
      log.warn({ err: error }, 'build failed for a reason outside the build');
  } finally {
    clearTimeout(buildTimer);
  }
  if (record.containerId) {
    await runtime.remove(record.containerId).catch((error: unknown) => {
      // The janitor removes it later by its labels.
      log.warn({ err: error, container: record.containerId }, 'could not remove the build container');
    });
  }
  record.status = outcome.status;
  if (outcome.error) record.error = capture.mask(outcome.error);
  const reason = stop.reason;
  if (record.status === 'cancelled' && reason instanceof BuildKilled) record.killedBy = reason.by;
  record.finishedAt = clock.now();
  await records.save(record);
  await notify(() => deps.progress?.onStatus?.(record));
  return record;
};

/** When the signal fired: the status it means (a kill or a timeout), else undefined. */
export const stopped = (signal: AbortSignal): { status: BuildStatus; error?: string } | undefined => {
  if (!signal.aborted) return undefined;
  const reason = signal.reason;
  if (reason instanceof BuildTimeout) return { status: 'timed_out', error: reason.message };
  // A kill (BuildKilled, whose `by` is recorded) or any other abort of the caller's.
  return { status: 'cancelled' };
};

/** `build.error` is literal text (views escape it); a HecklerError's message is mrkdwn, so unescaped. */
const describe = (error: unknown): string => errorText(error);

/**
 * Rejects at once when `signal` fires. A result that still arrives is handed to `cleanup`
 * (a container started just as the build was killed must not be left behind).
 */
const abortable = <T>(
  pending: Promise<T>,
  signal: AbortSignal,
  cleanup?: (late: T) => Promise<void>,
): Promise<T> => {
  if (signal.aborted) {
    void pending
      .then(
        (late) => cleanup?.(late),
        () => undefined,
      )
      .catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      void pending
        .then(
          (late) => cleanup?.(late),
          () => undefined,
        )
        .catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
};
