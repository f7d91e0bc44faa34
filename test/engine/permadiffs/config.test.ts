import { describe, expect, it } from 'vitest';
import { configFiles } from '../../support/config-files.js';

/** The permadiffs section: scan interval and how many scans in a row make a permadiff. */
const { load, failure: refusal } = configFiles('permadiffs-key');
const failure = (yaml: string): string => refusal(yaml).message;

describe('permadiffs', () => {
  it('scans every 6 h and needs 2 runs unless set', () => {
    expect(load('{}').permadiffs).toEqual({ scanEvery: 21_600_000, minRuns: 2, notifyOwners: false });
    expect(load('permadiffs:\n  scanEvery: 30m\n  minRuns: 3\n').permadiffs).toEqual({
      scanEvery: 1_800_000,
      minRuns: 3,
      notifyOwners: false,
    });
  });

  it('names the key when a value is wrong or unknown', () => {
    expect(failure('permadiffs:\n  scanEvery: often\n')).toMatch(
      /permadiffs\.scanEvery: expected a duration/,
    );
    expect(failure('permadiffs:\n  scanEvery: 10s\n')).toMatch(/permadiffs\.scanEvery.*at least 1m/);
    expect(failure('permadiffs:\n  minRuns: 0\n')).toMatch(/permadiffs\.minRuns/);
    expect(failure('permadiffs:\n  minruns: 2\n')).toMatch(/permadiffs.*minruns/);
  });
});
