import { instrumentFleet } from '../adapters/metrics/instrument-fleet.js';
import { instrumentStorage } from '../adapters/metrics/instrument-storage.js';
import { createPrometheusMetrics, type PrometheusMetrics } from '../adapters/metrics/prometheus.js';
import { readinessChecks } from '../adapters/metrics/readiness.js';
import { createOpsRoutes, type OpsRoutes } from '../adapters/metrics/routes.js';
import { startOpsServer } from '../adapters/metrics/server.js';
import type { CommandSpec } from '../commands/types.js';
import { secretValues } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createDoctor, type Doctor } from '../doctor/compose.js';
import type { BuildRecord } from '../engine/builds/records.js';
import type { CodeRepo, Logger } from '../engine/ports/index.js';
import type { Metrics } from '../engine/ports/metrics.js';
import type { FleetService } from '../engine/runs/fleet-service.js';
import type { Storage } from '../storage/keyv.js';

/**
 * Operability, composed: the metrics registry, the storage every service then uses (counted), the
 * fleet decorator, /metrics /healthz /readyz, and doctor for chat. composeApp calls these in order:
 * `opsMetrics` and `countedStorage` before the services, `opsRoutes` and `chatDoctor` after.
 */
export const opsMetrics = (options: {
  config: Config;
  storage: Storage;
  commands: readonly CommandSpec[];
  /** Whether builds are composed: the queue is read from their records when scraped. */
  builds: () => boolean;
}): PrometheusMetrics =>
  createPrometheusMetrics({
    commands: options.commands.map((c) => c.name),
    nodes: Object.keys(options.config.fleet.nodes),
    locks: () => options.storage.locks.list(),
    buildQueueLength: async () => {
      if (!options.builds()) return 0;
      let queued = 0;
      for await (const [, build] of options.storage.store<BuildRecord>('builds').entries())
        if (build.status === 'queued') queued += 1;
      return queued;
    },
  });

export const countedStorage = (storage: Storage, metrics: Metrics): Storage =>
  instrumentStorage(storage, metrics);

export const countedFleet =
  (metrics: Metrics) =>
  (service: FleetService): FleetService =>
    instrumentFleet(service, metrics);

export const opsRoutes = (options: {
  metrics: PrometheusMetrics;
  storage: Storage;
  repo?: CodeRepo;
  chatConnected: () => boolean;
  logger: Logger;
}): OpsRoutes =>
  createOpsRoutes({
    scrape: () => options.metrics.scrape(),
    readiness: readinessChecks({
      store: options.storage.store<never>('readiness'),
      ...(options.repo ? { repo: options.repo } : {}),
      chatConnected: options.chatConnected,
    }),
    logger: options.logger,
  });

/**
 * Where the routes are served when the Slack HTTP server does not serve them (Socket Mode, the
 * shell): `metrics.port`, when set. Resolves to a close function (a no-op when nothing listens).
 */
export const startOpsListener = async (
  config: Config,
  routes: OpsRoutes,
  logger: Logger,
): Promise<{ port?: number; close(): Promise<void> }> => {
  if (config.metrics.port === undefined) return { close: async () => undefined };
  const server = await startOpsServer({
    routes,
    port: config.metrics.port,
    host: config.metrics.host,
    logger,
  });
  logger.info({ port: server.port, host: config.metrics.host }, 'metrics listening');
  return server;
};

export const chatDoctor = (options: {
  config: Config;
  storage: Storage;
  repo?: CodeRepo;
  logger: Logger;
}): Doctor => {
  const { repo } = options;
  return createDoctor({
    config: options.config,
    store: options.storage.store<number>('doctor'),
    storeKind: options.storage.kind,
    logger: options.logger,
    ...(repo ? { repo: async () => repo } : {}),
    secrets: secretValues(options.config.secrets),
  });
};
