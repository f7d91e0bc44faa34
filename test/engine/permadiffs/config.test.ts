import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { HecklerError } from '../../../src/engine/errors.js';

/** The permadiffs section: scan interval and how many scans in a row make a permadiff. */
const dir = mkdtempSync(join(tmpdir(), 'heckler-permadiffs-key-'));
const example = join(import.meta.dirname, '../../../examples/heckler.yml');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const load = (yaml: string) => {
  files += 1;
  const path = join(dir, `c${files}.yml`);
  writeFileSync(path, yaml);
  return loadConfig({ argv: ['--config', path], env: {}, defaultPath: example });
};

const failure = (yaml: string): string => {
  try {
    load(yaml);
  } catch (error) {
    if (error instanceof HecklerError) return error.message;
    throw error;
  }
  throw new Error('expected loadConfig to fail');
};

describe('permadiffs', () => {
  it('scans every 6 h and needs 2 runs unless set', () => {
    expect(load('{}').permadiffs).toEqual({ scanEvery: 21_600_000, minRuns: 2 });
    expect(load('permadiffs:\n  scanEvery: 30m\n  minRuns: 3\n').permadiffs).toEqual({
      scanEvery: 1_800_000,
      minRuns: 3,
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
