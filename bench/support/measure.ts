import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_S = 100;

/** CPU seconds so far: this process (µs precision) and its reaped children (10 ms ticks). */
export interface CpuSample {
  selfS: number;
  childrenS: number;
  /** The whole machine's busy time (every core, every process) from /proc/stat. */
  machineBusyS: number;
}

const childrenCpuS = (): number => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after "pid (comm) ": state is field 3, cutime and cstime are fields 16 and 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_S;
};

const machineBusyS = (): number => {
  const [line = ''] = readFileSync('/proc/stat', 'utf8').split('\n');
  const [, ...values] = line.trim().split(/\s+/);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = values.map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_S;
};

export const cpuSample = (): CpuSample => {
  const usage = process.cpuUsage();
  return {
    selfS: (usage.user + usage.system) / 1e6,
    childrenS: childrenCpuS(),
    machineBusyS: machineBusyS(),
  };
};

export interface Measured<T> {
  value: T;
  wallS: number;
  cpu: CpuSample;
}

/** Runs `task` and returns its wall time and the CPU spent meanwhile (differences of samples). */
export const measure = async <T>(task: () => Promise<T>): Promise<Measured<T>> => {
  const before = cpuSample();
  const started = performance.now();
  const value = await task();
  const wallS = (performance.now() - started) / 1000;
  const after = cpuSample();
  return {
    value,
    wallS,
    cpu: {
      selfS: after.selfS - before.selfS,
      childrenS: after.childrenS - before.childrenS,
      machineBusyS: after.machineBusyS - before.machineBusyS,
    },
  };
};

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** `1.23 s (1.10–1.40)`: median, then min–max. */
export const spread = (values: readonly number[], unit = 's', digits = 2): string => {
  const fmt = (value: number) => value.toFixed(digits);
  if (values.length === 1) return `${fmt(values[0] as number)} ${unit}`;
  return `${fmt(median(values))} ${unit} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
};

/** Peak resident set size of this process so far, in MiB. */
export const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

/**
 * The line every benchmark ends with, one per target, in a form scripts read:
 * `target NAME: VALUE (goal OP GOAL) met` or `… MISSED`.
 */
export const targetLine = (
  name: string,
  value: number,
  goal: { op: '<' | '≤'; limit: number; unit?: string; digits?: number },
): string => {
  const unit = goal.unit ?? '';
  const digits = goal.digits ?? 2;
  const met = goal.op === '<' ? value < goal.limit : value <= goal.limit;
  return `target ${name}: ${value.toFixed(digits)}${unit} (goal ${goal.op} ${goal.limit}${unit}) ${met ? 'met' : 'MISSED'}`;
};

/** A whole-number knob from the environment (BENCH_NODES…): `fallback` when unset, an error when not one. */
export const envInt = (name: string, fallback: number, min = 1): number => {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min)
    throw new Error(`${name} must be a whole number of at least ${min}, got ${value}`);
  return parsed;
};
