import { describe, expect, it } from 'vitest';
import { percentile, summarize, summaryText } from '../../bench/support/latency.js';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  it.each([
    { values: [5], p: 50, expected: 5 },
    { values: [5], p: 99, expected: 5 },
    { values: [1, 2], p: 50, expected: 1 },
    { values: [1, 2], p: 51, expected: 2 },
    { values: [3, 1, 2], p: 50, expected: 2 },
    { values: hundred, p: 50, expected: 50 },
    { values: hundred, p: 90, expected: 90 },
    { values: hundred, p: 99, expected: 99 },
    { values: hundred, p: 100, expected: 100 },
    // 600 samples (3 bursts of 200): p99 is the 594th, so the six slowest are above it.
    { values: Array.from({ length: 600 }, (_, i) => i + 1), p: 99, expected: 594 },
  ])('p$p of $values.length values is $expected', ({ values, p, expected }) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('is NaN for no values, not a made-up number', () => {
    expect(percentile([], 99)).toBeNaN();
  });

  it.each([0, -1, 101, Number.NaN])('refuses percentile %s', (p) => {
    expect(() => percentile([1, 2, 3], p)).toThrow(RangeError);
  });

  it('leaves its input unsorted', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  it('gives count, p50, p90, p99 and max', () => {
    const values = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(summarize(values)).toEqual({ count: 200, p50: 100, p90: 180, p99: 198, max: 200 });
    expect(summaryText(summarize(values))).toBe('p50   100 ms  p90   180 ms  p99   198 ms  max   200 ms');
  });

  it('summarizes nothing as NaN throughout', () => {
    const empty = summarize([]);
    expect(empty.count).toBe(0);
    expect([empty.p50, empty.p90, empty.p99, empty.max].every(Number.isNaN)).toBe(true);
  });
});
