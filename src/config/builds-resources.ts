import { z } from 'zod';
import {
  type BuildLimits,
  formatBytes,
  MIN_MEMORY_BYTES,
  parseMemory,
  type ResourcePolicy,
} from '../engine/builds/runner-limits.js';
import { formatDuration, parseDuration } from '../engine/text/duration.js';

/** `512m`, `2g`, `1.5GiB`: a memory size as Docker writes it, held as bytes. */
const memory = z.union([z.string(), z.number()]).transform((input, ctx) => {
  const bytes = parseMemory(input);
  if (bytes === undefined || bytes < MIN_MEMORY_BYTES) {
    const message =
      bytes === undefined
        ? 'expected a memory size such as 512m or 2g'
        : "expected at least 6m (Docker's minimum)";
    ctx.addIssue({ code: 'custom', message, input });
    return z.NEVER;
  }
  return bytes;
});

const cpus = z.number().min(0.01).max(1024);
const pids = z.number().transform((count, ctx) => {
  if (Number.isInteger(count) && count >= 8) return count;
  ctx.addIssue({ code: 'custom', message: 'expected a whole number of at least 8', input: count });
  return z.NEVER;
});
const timeout = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (!ms) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as 30m or 2h', input: text });
    return z.NEVER;
  }
  return ms;
});

/** `builds.repos[].resources`: one repository's defaults, within `builds.resources.max`. */
export const repoResourcesSchema = z.strictObject({
  memory: memory.optional(),
  cpus: cpus.optional(),
  pids: pids.optional(),
  timeout: timeout.optional(),
});

const withDefaults = (values: { memory: string; cpus: number; pids: number; timeout: string }) =>
  z.strictObject({
    memory: memory.prefault(values.memory),
    cpus: cpus.default(values.cpus),
    pids: pids.default(values.pids),
    timeout: timeout.prefault(values.timeout),
  });

/**
 * `builds.resources`: what every build gets unless its repository or ocelot.yml asks otherwise,
 * and under `max` the most any may ask for.
 */
export const resourcesSchema = withDefaults({ memory: '2g', cpus: 2, pids: 1024, timeout: '1h' })
  .extend({
    max: withDefaults({ memory: '8g', cpus: 4, pids: 4096, timeout: '4h' }).prefault({}),
  })
  .prefault({});

type Values = z.output<typeof repoResourcesSchema>;
type Resources = z.output<typeof resourcesSchema>;
type Key = keyof Values;

const shown: Record<Key, (value: number) => string> = {
  memory: formatBytes,
  cpus: String,
  pids: String,
  timeout: formatDuration,
};

/**
 * Defaults and every repository's values must be within the maxima: each one above names its key,
 * the maximum and where that is set (a start-up error, with the rest of the file's problems).
 */
export const checkResourceMaxima = (
  builds: { resources: Resources; repos: ReadonlyArray<{ resources?: Values | undefined }> },
  ctx: z.core.$RefinementCtx,
): void => {
  const { max } = builds.resources;
  const check = (values: Values, path: PropertyKey[]) => {
    for (const key of Object.keys(shown) as Key[]) {
      const value = values[key];
      if (value === undefined || value <= max[key]) continue;
      ctx.addIssue({
        code: 'custom',
        path: [...path, key],
        message: `expected at most ${shown[key](max[key])}, the maximum set in builds.resources.max.${key}`,
        input: key === 'cpus' || key === 'pids' ? value : shown[key](value),
      });
    }
  };
  check(builds.resources, ['resources']);
  for (const [index, repo] of builds.repos.entries())
    if (repo.resources) check(repo.resources, ['repos', index, 'resources']);
};

const toLimits = (values: Values): Partial<BuildLimits> => ({
  ...(values.memory === undefined ? {} : { memoryBytes: values.memory }),
  ...(values.cpus === undefined ? {} : { cpus: values.cpus }),
  ...(values.pids === undefined ? {} : { pids: values.pids }),
  ...(values.timeout === undefined ? {} : { timeoutMs: values.timeout }),
});

/** The engine's view of `builds.resources` and the repositories' own values. */
export const resourcePolicy = (builds: {
  resources: Resources;
  repos: ReadonlyArray<{ name: string; resources?: Values | undefined }>;
}): ResourcePolicy => {
  const { max, ...defaults } = builds.resources;
  return {
    defaults: toLimits(defaults) as BuildLimits,
    max: toLimits(max) as BuildLimits,
    repos: Object.fromEntries(
      builds.repos.flatMap((repo) => (repo.resources ? [[repo.name, toLimits(repo.resources)]] : [])),
    ),
  };
};

/** `builds.docker.hosts[].tls`: PEM files for a tcp:// engine started with --tlsverify. */
export const dockerTlsSchema = z.strictObject({
  ca: z.string().min(1),
  cert: z.string().min(1),
  key: z.string().min(1),
});
