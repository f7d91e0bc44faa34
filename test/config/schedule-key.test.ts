import { describe, expect, it } from 'vitest';
import { configFiles } from '../support/config-files.js';

/** schedule.leaseTtl: how long the lease of the bot that runs the schedules lasts without a renewal. */
const { load, failure: refusal } = configFiles('schedule-key');
const failure = (yaml: string): string => refusal(yaml).message;

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
