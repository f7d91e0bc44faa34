import { z } from 'zod';
import type { ContainerLimits } from '../ports/containers.js';
import { describeFound } from '../text/describe-value.js';
import { parseDuration } from '../text/duration.js';
import { MIN_MEMORY_BYTES, parseMemory } from './runner-limits.js';
import { anchoredPattern, branchPatternProblem, parseTrigger, type TriggerExpr } from './triggers.js';

/** One build definition, whichever of the accepted spellings the file used. */
export interface Pipeline {
  /** `default` for a file with one top-level pipeline, else its key under `pipelines:`. */
  name: string;
  image: string;
  env: Record<string, string>;
  /** `ALL`, or anchored regular expression sources (`^(?:master)$`), matched on RE2. */
  branches: 'ALL' | string[];
  workdir: string;
  timeoutMs?: number;
  /** What the file asks for; the runner holds it to the admin's maxima. */
  resources?: Partial<ContainerLimits>;
  stages: Stage[];
  notify: Notify;
}

export interface Stage {
  name: string;
  script: string[];
  /** Only this stage's own variables; the runner lays them over the pipeline's. */
  env: Record<string, string>;
  timeoutMs?: number;
  /** Absent: the stage always runs. */
  trigger?: TriggerExpr;
}

export type NotifyEvent = 'PASS' | 'FAIL' | 'SKIP';

export interface Notify {
  slack?: { channel?: string; on: NotifyEvent[] };
}

export const DEFAULT_WORKDIR = '/build';
export const DEFAULT_PIPELINE = 'default';
/** Past this a Node timer overflows long before; a day is already generous for one build. */
export const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** Keys of Ocelot's ocelot.yml that mean nothing here: accepted, warned about, dropped. */
export const OCELOT_ONLY_KEYS = ['buildTool', 'machineTag', 'packages'] as const;

/** `30s`, `10m`, `1h30m`, `500ms` → milliseconds; anything else → undefined. */
export { parseDuration };

type Converted<T> = { value: T } | { error: string };

/** A value checked and converted by hand, so the message can say exactly what was expected. */
const converted = <T>(
  convert: (input: unknown) => Converted<T>,
): z.ZodPipe<z.ZodUnknown, z.ZodTransform<T>> =>
  z.unknown().transform((input, ctx): T => {
    const result = convert(input);
    if ('value' in result) return result.value;
    ctx.addIssue({ code: 'custom', message: result.error, input });
    return z.NEVER;
  });

const duration = converted<number>((input) => {
  const ms = typeof input === 'string' ? parseDuration(input) : undefined;
  if (ms === undefined)
    return { error: `expected a duration such as 30s, 10m or 1h, found ${describeFound(input)}` };
  if (ms === 0) return { error: `expected a duration longer than zero, found ${describeFound(input)}` };
  if (ms > MAX_TIMEOUT_MS)
    return { error: `expected a duration of at most 24h, found ${describeFound(input)}` };
  return { value: ms };
});

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

const envEntry = converted<readonly [string, string]>((input) => {
  if (typeof input !== 'string')
    return { error: `expected a "KEY=value" string, found ${describeFound(input)}` };
  const equals = input.indexOf('=');
  if (equals < 0) return { error: `expected KEY=value, found ${describeFound(input)} with no "="` };
  const name = input.slice(0, equals);
  if (!envName.test(name)) {
    return {
      error: `"${name}" is not a valid variable name (letters, digits and _, not starting with a digit)`,
    };
  }
  return { value: [name, input.slice(equals + 1)] };
});

const branchPattern = converted<string>((input) => {
  if (typeof input !== 'string' || input.trim() === '') {
    const quote = typeof input === 'number' ? ' (quote branch names that look like numbers)' : '';
    return { error: `expected a branch name or regular expression${quote}, found ${describeFound(input)}` };
  }
  const problem = branchPatternProblem(input);
  return problem ? { error: `"${input}" ${problem}` } : { value: input };
});

/**
 * YAML reads an unquoted `- branch: master` as a one-key mapping; it is the same line as the
 * quoted string, so both are accepted.
 */
const triggerLineText = (input: unknown): string | undefined => {
  if (typeof input === 'string') return input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const entries = Object.entries(input);
  const [key, value] = entries[0] ?? [];
  if (entries.length !== 1 || key === undefined) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  return `${key}: ${value}`;
};

const triggerLine = converted<TriggerExpr>((input) => {
  const line = triggerLineText(input);
  if (line === undefined) {
    const quote =
      typeof input === 'object' && input !== null ? ' (quote the whole line: - "text: [deploy]")' : '';
    return { error: `expected a trigger such as "branch: master", found ${describeFound(input)}${quote}` };
  }
  const parsed = parseTrigger(line);
  return parsed.ok ? { value: parsed.expr } : { error: parsed.error };
});

/** A string that must also pass `ok`; the message still says what was found. */
const stringThat = (ok: (text: string) => boolean, expected: string) =>
  z.string().refine(ok, { error: (issue) => `expected ${expected}, found ${describeFound(issue.input)}` });

const nonBlank = (expected: string) => stringThat((text) => text.trim() !== '', expected);

const memorySize = converted<number>((input) => {
  const bytes = parseMemory(input);
  if (bytes === undefined)
    return { error: `expected a memory size such as 512m or 2g, found ${describeFound(input)}` };
  if (bytes < MIN_MEMORY_BYTES)
    return { error: `expected at least 6m (Docker's minimum), found ${describeFound(input)}` };
  return { value: bytes };
});

const cpuCount = converted<number>((input) =>
  typeof input === 'number' && Number.isFinite(input) && input >= 0.01
    ? { value: input }
    : { error: `expected a number of CPUs such as 1 or 0.5, found ${describeFound(input)}` },
);

const pidCount = converted<number>((input) =>
  typeof input === 'number' && Number.isInteger(input) && input >= 8
    ? { value: input }
    : { error: `expected a whole number of processes of at least 8, found ${describeFound(input)}` },
);

/** Heckler's extension: what the build needs, within the maxima the bot's admin set. */
const resourcesShape = { memory: memorySize.nullish(), cpus: cpuCount.nullish(), pids: pidCount.nullish() };

const stageShape = {
  name: nonBlank('a stage name'),
  script: z.array(nonBlank('a command')),
  env: z.array(envEntry).nullish(),
  timeout: duration.nullish(),
  /** Ocelot's older form: run only on these branches. */
  trigger: z.strictObject({ branches: z.array(branchPattern).nullish() }).nullish(),
  triggers: z.array(triggerLine).min(1).nullish(),
};

const notifyEvent = z.preprocess(
  (value) => (typeof value === 'string' ? value.toUpperCase() : value),
  z.enum(['PASS', 'FAIL', 'SKIP']),
);

const slackShape = {
  channel: nonBlank('a channel such as "#builds"').nullish(),
  /** Ocelot's webhook credential name; Heckler posts with its own Slack app. */
  identifier: z.unknown().optional(),
  on: z.array(notifyEvent).nullish(),
};

const pipelineShape = {
  image: stringThat((text) => /^\S+$/.test(text), 'a Docker image such as golang:1.10'),
  buildTool: z.unknown().optional(),
  machineTag: z.unknown().optional(),
  packages: z.unknown().optional(),
  env: z.array(envEntry).nullish(),
  branches: z.array(branchPattern).min(1).nullish(),
  workdir: stringThat((text) => text.startsWith('/'), 'an absolute path such as /build').nullish(),
  timeout: duration.nullish(),
  resources: z.strictObject(resourcesShape).nullish(),
  stages: z.array(z.strictObject(stageShape)),
  notify: z.strictObject({ slack: z.strictObject(slackShape).nullish() }).nullish(),
};

export const pipelineInput = z.strictObject(pipelineShape);
export const namedPipelinesInput = z.strictObject({ pipelines: z.record(z.string(), pipelineInput) });

export type PipelineInput = z.output<typeof pipelineInput>;
type StageInput = PipelineInput['stages'][number];

/** Known keys per kind of mapping, for "did you mean" on unknown keys. */
export const knownKeys = {
  pipeline: Object.keys(pipelineShape),
  stage: Object.keys(stageShape),
  trigger: ['branches'],
  notify: ['slack'],
  slack: Object.keys(slackShape),
  resources: Object.keys(resourcesShape),
};

export const toPipeline = (name: string, input: PipelineInput): Pipeline => {
  const branches = input.branches ?? ['ALL'];
  return {
    name,
    image: input.image,
    env: Object.fromEntries(input.env ?? []),
    branches: branches.includes('ALL') ? 'ALL' : branches.map(anchoredPattern),
    workdir: input.workdir ?? DEFAULT_WORKDIR,
    ...(input.timeout == null ? {} : { timeoutMs: input.timeout }),
    ...toResources(input.resources),
    stages: input.stages.map(toStage),
    notify: toNotify(input.notify),
  };
};

const toResources = (input: PipelineInput['resources']): { resources?: Partial<ContainerLimits> } => {
  const resources: Partial<ContainerLimits> = {
    ...(input?.memory == null ? {} : { memoryBytes: input.memory }),
    ...(input?.cpus == null ? {} : { cpus: input.cpus }),
    ...(input?.pids == null ? {} : { pids: input.pids }),
  };
  return Object.keys(resources).length > 0 ? { resources } : {};
};

const toStage = (input: StageInput): Stage => {
  const trigger = toTrigger(input);
  return {
    name: input.name.trim(),
    script: input.script,
    env: Object.fromEntries(input.env ?? []),
    ...(input.timeout == null ? {} : { timeoutMs: input.timeout }),
    ...(trigger ? { trigger } : {}),
  };
};

const toTrigger = (input: StageInput): TriggerExpr | undefined => {
  if (input.triggers) return { anyOf: input.triggers.flatMap((expr) => expr.anyOf) };
  const branches = input.trigger?.branches ?? [];
  if (branches.length === 0) return undefined;
  return { anyOf: [{ allOf: [{ field: 'branch', match: 'any', values: branches }] }] };
};

const toNotify = (input: PipelineInput['notify']): Notify => {
  const slack = input?.slack;
  if (!slack) return {};
  const on: NotifyEvent[] = slack.on ?? ['FAIL'];
  return {
    slack: {
      ...(slack.channel == null ? {} : { channel: slack.channel }),
      on: [...new Set(on)],
    },
  };
};
