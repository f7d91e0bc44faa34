import { describe, expect, it } from 'vitest';
import { checkCron, checkTimeZone, nextRuns } from '../../src/adapters/schedule/cron.js';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000', '');
const at = (text: string) => Date.parse(text);

describe('nextRuns: the cron matched against the time zone wall clock', () => {
  const table: { name: string; cron: string; zone: string; from: string; runs: string[] }[] = [
    {
      name: 'Berlin winter: 09:00 is 08:00 UTC, weekdays only (Fri 2 Jan 2026, then Mon, Tue)',
      cron: '0 9 * * 1-5',
      zone: 'Europe/Berlin',
      from: '2026-01-01T23:00:00Z',
      runs: ['2026-01-02T08:00:00Z', '2026-01-05T08:00:00Z', '2026-01-06T08:00:00Z'],
    },
    {
      name: 'Berlin summer: 09:00 is 07:00 UTC',
      cron: '0 9 * * 1-5',
      zone: 'Europe/Berlin',
      from: '2026-07-03T06:00:00Z',
      runs: ['2026-07-03T07:00:00Z', '2026-07-06T07:00:00Z'],
    },
    {
      name: 'across the spring change (Sun 29 Mar 2026): Fri in winter time, Mon in summer time',
      cron: '0 9 * * 1-5',
      zone: 'Europe/Berlin',
      from: '2026-03-27T09:00:00Z',
      runs: ['2026-03-30T07:00:00Z', '2026-03-31T07:00:00Z'],
    },
    {
      name: 'the same instant already past in Berlin but not in New York',
      cron: '0 9 * * *',
      zone: 'America/New_York',
      from: '2026-01-05T12:00:00Z',
      runs: ['2026-01-05T14:00:00Z', '2026-01-06T14:00:00Z'],
    },
    {
      name: 'weekday names, UTC',
      cron: '30 6 * * MON,WED',
      zone: 'UTC',
      from: '2026-01-05T07:00:00Z',
      runs: ['2026-01-07T06:30:00Z', '2026-01-12T06:30:00Z'],
    },
    {
      name: 'six fields: seconds first',
      cron: '*/20 * * * * *',
      zone: 'Europe/Berlin',
      from: '2026-01-05T12:00:05Z',
      runs: ['2026-01-05T12:00:20Z', '2026-01-05T12:00:40Z', '2026-01-05T12:01:00Z'],
    },
  ];
  for (const row of table)
    it(row.name, () => {
      expect(nextRuns(row.cron, row.zone, at(row.from), row.runs.length).map(iso)).toEqual(row.runs);
    });

  it('refuses an invalid expression rather than guessing', () => {
    expect(() => nextRuns('61 9 * * *', 'UTC', 0, 1)).toThrow(/minutes/);
  });
});

describe('checkCron and checkTimeZone', () => {
  const crons: [string, boolean][] = [
    ['0 9 * * 1-5', true],
    ['0 9 * * MON-FRI', true],
    ['*/2 * * * * *', true],
    ['61 9 * * *', false],
    ['banana', false],
    ['0 9 * * 1-5 2026 1', false],
    ['', false],
  ];
  for (const [cron, ok] of crons)
    it(`${JSON.stringify(cron)} is ${ok ? 'accepted' : 'refused'}`, () => {
      const check = checkCron(cron);
      expect(check.ok).toBe(ok);
      expect(check.errors.length > 0).toBe(!ok);
    });

  const zones: [string, boolean][] = [
    ['Europe/Berlin', true],
    ['UTC', true],
    ['local', true],
    ['Europe/Atlantis', false],
    ['', false],
    ['../../etc/passwd', false],
  ];
  for (const [zone, ok] of zones)
    it(`time zone ${JSON.stringify(zone)} is ${ok ? 'known' : 'unknown'}`, () => {
      expect(checkTimeZone(zone)).toBe(ok);
    });
});
