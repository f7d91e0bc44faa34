import type { ContainerLimits } from '../ports/containers.js';
import { formatDuration } from '../text/duration.js';
import type { Pipeline } from './pipeline-schema.js';

/** What one build may use: its container's limits and how long it may run. */
export interface BuildLimits extends ContainerLimits {
  timeoutMs: number;
}

/**
 * The admin's word on resources (heckler.yml `builds.resources`): what builds get unless they ask,
 * the most any build may get, and per-repository defaults (`builds.repos[].resources`). The config
 * schema has already checked that defaults and repository values are within `max`.
 */
export interface ResourcePolicy {
  defaults: BuildLimits;
  max: BuildLimits;
  repos?: Readonly<Record<string, Partial<BuildLimits>>>;
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

export const DEFAULT_RESOURCE_POLICY: ResourcePolicy = {
  defaults: { memoryBytes: 2 * GiB, cpus: 2, pids: 1024, timeoutMs: 60 * 60_000 },
  max: { memoryBytes: 8 * GiB, cpus: 4, pids: 4096, timeoutMs: 4 * 60 * 60_000 },
};

/** Docker refuses less memory than this for a container. */
export const MIN_MEMORY_BYTES = 6 * MiB;

const memoryUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: MiB,
  mb: MiB,
  mib: MiB,
  g: GiB,
  gb: GiB,
  gib: GiB,
};

/**
 * A memory size as Docker writes it (`512m`, `2g`) or with binary units (`512MiB`, `2GiB`); all
 * units are powers of 1024, as Docker's are. A number is bytes. Undefined when it is not a size.
 */
export const parseMemory = (input: unknown): number | undefined => {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input > 0 ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(input);
  const unit = memoryUnits[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
};

/** 67108864 → `64 MiB`; 1610612736 → `1.5 GiB`. */
export const formatBytes = (bytes: number): string => {
  for (const [unit, size] of [
    ['GiB', GiB],
    ['MiB', MiB],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`;
  }
  return `${bytes} B`;
};

type Key = keyof BuildLimits;

/** Where each limit is written in ocelot.yml and in heckler.yml's `builds.resources`, and how it reads. */
const keys: Record<Key, { file: string; config: string; show: (value: number) => string }> = {
  memoryBytes: { file: 'resources.memory', config: 'memory', show: formatBytes },
  cpus: { file: 'resources.cpus', config: 'cpus', show: String },
  pids: { file: 'resources.pids', config: 'pids', show: String },
  timeoutMs: { file: 'timeout', config: 'timeout', show: formatDuration },
};

/**
 * The limits of one build: ocelot.yml's `resources:` and `timeout:` over the repository's
 * defaults over the global ones. A value above the maximum is refused with its key path, so the
 * build errors before any container starts.
 */
export const limitsFor = (
  policy: ResourcePolicy,
  repo: string,
  pipeline: Pick<Pipeline, 'name' | 'timeoutMs' | 'resources'>,
): { ok: true; limits: BuildLimits } | { ok: false; error: string } => {
  const asked: Partial<BuildLimits> = {
    ...pipeline.resources,
    ...(pipeline.timeoutMs === undefined ? {} : { timeoutMs: pipeline.timeoutMs }),
  };
  const limits: BuildLimits = { ...policy.defaults, ...policy.repos?.[repo], ...definedOnly(asked) };
  const prefix = pipeline.name === 'default' ? '' : `pipelines.${pipeline.name}.`;
  const over = (Object.keys(keys) as Key[])
    .filter((key) => asked[key] !== undefined && limits[key] > policy.max[key])
    .map((key) => {
      const { file, config, show } = keys[key];
      return `${prefix}${file}: ${show(limits[key])} is above the maximum of ${show(policy.max[key])} (builds.resources.max.${config})`;
    });
  if (over.length === 0) return { ok: true, limits };
  return {
    ok: false,
    error: `ocelot.yml asks for more than this bot allows: ${over.join('; ')}. Ask for less in ocelot.yml, or ask an admin to raise the maximum in heckler.yml`,
  };
};

const definedOnly = (values: Partial<BuildLimits>): Partial<BuildLimits> =>
  Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));

/**
 * Why a stage that exited non-zero did, when a limit explains it: the kernel's OOM killer sends
 * SIGKILL (exit 137); a fork refused at the pids limit makes the shell fail with its own code.
 */
export const limitReason = (
  exitCode: number,
  reached: { outOfMemory: boolean; pids: boolean },
  limits: ContainerLimits,
): string | undefined => {
  const memory = `out of memory (limit ${formatBytes(limits.memoryBytes)})`;
  const pids = `pids limit reached (limit ${limits.pids})`;
  if (reached.outOfMemory && exitCode === 137) return `killed: ${memory}`;
  const notes = [
    ...(reached.outOfMemory ? [`a process was killed: ${memory}`] : []),
    ...(reached.pids ? [pids] : []),
  ];
  return notes.length > 0 ? `exited with code ${exitCode}: ${notes.join('; ')}` : undefined;
};
