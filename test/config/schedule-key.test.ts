import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { HecklerError } from '../../src/engine/errors.js';

/** schedule.leaseTtl: how long the lease of the bot that runs the schedules lasts without a renewal. */
const dir = mkdtempSync(join(tmpdir(), 'heckler-schedule-key-'));
const example = join(import.meta.dirname, '../../examples/heckler.yml');
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

describe('schedule.leaseTtl', () => {
  it('is 30 s unless set, and takes a duration', () => {
    expect(load('{}').schedule.leaseTtl).toBe(30_000);
    expect(load('schedule:\n  leaseTtl: 2m\n').schedule.leaseTtl).toBe(120_000);
  });

  it('names the key when it is wrong, too short, or unknown', () => {
    expect(failure('schedule:\n  leaseTtl: soon\n')).toMatch(/schedule\.leaseTtl: expected a duration/);
    expect(failure('schedule:\n  leaseTtl: 10ms\n')).toMatch(/schedule\.leaseTtl/);
    expect(failure('schedule:\n  leaseTTL: 30s\n')).toMatch(/schedule.*leaseTTL/);
  });
});
