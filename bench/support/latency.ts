/** Latency summaries for `npm run bench -- ack`: pure, so they have table tests of their own. */

/** The nearest-rank percentile: the smallest value with at least `p`% of the values at or below it. */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[rank - 1] as number;
};

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export const summarize = (values: readonly number[]): LatencySummary => ({
  count: values.length,
  p50: percentile(values, 50),
  p90: percentile(values, 90),
  p99: percentile(values, 99),
  max: values.length === 0 ? Number.NaN : Math.max(...values),
});

/** `p50 12 ms  p90 30 ms  p99 41 ms  max 45 ms`, each right-aligned so rows line up. */
export const summaryText = (summary: LatencySummary): string =>
  (['p50', 'p90', 'p99', 'max'] as const)
    .map((key) => `${key} ${summary[key].toFixed(0).padStart(5)} ms`)
    .join('  ');
