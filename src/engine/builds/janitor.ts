import type { ContainerHosts } from '../ports/containers.js';
import type { Logger } from '../ports/logger.js';
import type { BuildRecords } from './records.js';

export interface JanitorOptions {
  records: BuildRecords;
  hosts: ContainerHosts;
  logger: Logger;
  /** Only containers labelled with this `heckler.instance` are ours to remove. */
  instance?: string;
  /** Set: also remove unused images older than this that are ours (by label or name). */
  images?: {
    olderThanMs: number;
    /** e.g. `heckler.managed=true`: images built or tagged by us carry it. */
    label?: string;
    /** Image names we pulled for builds (`maven`, `golang:1.10`): from the watched pipelines and config. */
    names?: readonly string[];
  };
}

export interface JanitorReport {
  containers: string[];
  images: string[];
  /** Hosts that could not be cleaned this time, with the reason; the next run tries again. */
  failures: Array<{ host: string; error: string }>;
}

/**
 * Removes what builds left behind: containers labelled as ours whose build is not running (a
 * crash, a failed removal) and, when configured, old unused images that are ours. A container of
 * a build that runs now is kept, as is everything without our labels.
 */
export const sweep = async ({
  records,
  hosts,
  logger,
  instance = 'heckler',
  images,
}: JanitorOptions): Promise<JanitorReport> => {
  const report: JanitorReport = { containers: [], images: [], failures: [] };
  for (const runtime of hosts.all()) {
    try {
      const found = await runtime.list({ 'heckler.build': true, 'heckler.instance': instance });
      for (const container of found) {
        const id = Number(container.labels['heckler.build']);
        const build = Number.isInteger(id) ? await records.get(id) : undefined;
        // A running build without a containerId yet is starting this one: keep it.
        const live =
          build?.status === 'running' &&
          (build.containerId === undefined || build.containerId === container.id);
        if (live) continue;
        await runtime.remove(container.id);
        report.containers.push(container.id);
        logger.info(
          { container: container.id, build: id, host: runtime.host },
          'removed a leftover build container',
        );
      }
      if (images) {
        const removed = await runtime.removeImages(images);
        report.images.push(...removed);
        if (removed.length > 0)
          logger.info({ images: removed, host: runtime.host }, 'removed old build images');
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      report.failures.push({ host: runtime.host, error: message });
      logger.warn({ err: error, host: runtime.host }, 'janitor could not clean a docker host');
    }
  }
  return report;
};
