import type { ContainerHosts } from '../ports/containers.js';
import type { Logger } from '../ports/logger.js';
import type { BuildRecord, BuildRecords } from './records.js';
import type { BuildProgress } from './runner.js';

export interface ReconcileDeps {
  records: BuildRecords;
  hosts: ContainerHosts;
  clock: { now(): number };
  logger: Logger;
  instance?: string;
  progress?: BuildProgress;
}

export interface Reconciled {
  interrupted: number[];
  requeued: Array<[from: number, to: number]>;
  resumed: number[];
  /** Records to put (back) in the waiting line: resumed and requeued builds. */
  queued: BuildRecord[];
}

/**
 * After a restart no process runs the builds the store calls `running` (except those in `ours`):
 * they become `interrupted`, their containers are removed, and each is queued once more as a new
 * build marked `requeued` — which is never requeued again, so a build that kills the bot cannot
 * loop. Builds still `queued` simply resume.
 */
export const reconcileBuilds = async (
  deps: ReconcileDeps,
  ours: ReadonlySet<number>,
): Promise<Reconciled> => {
  const { records, clock, logger } = deps;
  const result: Reconciled = { interrupted: [], requeued: [], resumed: [], queued: [] };
  const left = await records.list({ status: ['running', 'queued'] });
  // Oldest first, so requeued builds get ids in their original order.
  for (const record of left.reverse()) {
    if (ours.has(record.id)) continue;
    if (record.status === 'queued') {
      result.resumed.push(record.id);
      result.queued.push(record);
      continue;
    }
    await removeContainers(deps, record);
    const interrupted: BuildRecord = {
      ...record,
      status: 'interrupted',
      finishedAt: clock.now(),
      error: 'the bot restarted while this build ran',
    };
    for (const stage of interrupted.stages) {
      if (stage.startedAt !== null && stage.durationMs === null) {
        stage.status = 'cancelled';
        stage.reason = 'interrupted by a restart of the bot';
      }
    }
    if (!record.requeued) {
      const retry = await records.create({
        repo: record.repo,
        branch: record.branch,
        sha: record.sha,
        definition: record.definition,
        commit: record.commit,
        trigger: {
          kind: 'retry',
          by: `restart (build ${record.id} was interrupted)`,
          ...(record.trigger.untrusted ? { untrusted: true } : {}),
        },
        requeued: true,
        retryOf: record.id,
      });
      interrupted.requeuedAs = retry.id;
      result.requeued.push([record.id, retry.id]);
      result.queued.push(retry);
    } else {
      interrupted.error =
        'the bot restarted while this build ran; it was already a requeued build, so it is not queued again';
    }
    await records.save(interrupted);
    result.interrupted.push(record.id);
    logger.warn({ build: record.id, requeuedAs: interrupted.requeuedAs }, 'build interrupted by a restart');
    try {
      await deps.progress?.onStatus?.(interrupted);
    } catch (error) {
      logger.warn({ err: error, build: record.id }, 'build progress callback failed');
    }
  }
  return result;
};

/** Its recorded container, and anything else labelled with its id on any host (a crash can leave both). */
const removeContainers = async (
  { hosts, logger, instance = 'heckler' }: ReconcileDeps,
  record: BuildRecord,
) => {
  for (const runtime of hosts.all()) {
    try {
      const found = await runtime.list({ 'heckler.build': String(record.id), 'heckler.instance': instance });
      const ids = new Set(found.map((container) => container.id));
      if (record.containerId && record.host === runtime.host) ids.add(record.containerId);
      for (const id of ids) await runtime.remove(id);
    } catch (error) {
      // The janitor retries later; the build is interrupted either way.
      logger.warn(
        { err: error, build: record.id, host: runtime.host },
        'could not remove an interrupted build container',
      );
    }
  }
};
