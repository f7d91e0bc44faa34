import { describe, expect, it } from 'vitest';
import { configFiles } from '../support/config-files.js';

/** permadiffs.digest (cron, timezone, channel) and permadiffs.notifyOwners. */
const { load, failure: refusal } = configFiles('digest-keys');
const failure = (yaml: string) => refusal(yaml);

describe('permadiffs.digest and permadiffs.notifyOwners', () => {
  it('has no digest and no owner messages unless set', () => {
    const { permadiffs } = load('{}');
    expect(permadiffs.digest).toBeUndefined();
    expect(permadiffs.notifyOwners).toBe(false);
  });

  it('takes a cron, a time zone and a channel; defaults fill what is left out', () => {
    const yaml =
      'permadiffs:\n  notifyOwners: true\n  digest:\n    cron: "0 9 * * 1-5"\n    timezone: Europe/Berlin\n    channel: C123\n';
    expect(load(yaml).permadiffs).toMatchObject({
      notifyOwners: true,
      digest: { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', channel: 'C123' },
    });
    expect(load('permadiffs:\n  digest: {}\n').permadiffs.digest).toEqual({
      cron: '0 9 * * 1-5',
      timezone: 'UTC',
    });
    expect(load('permadiffs:\n  digest:\n    cron: "30 8 * * MON-FRI"\n').permadiffs.digest?.cron).toBe(
      '30 8 * * MON-FRI',
    );
  });

  const refused: { name: string; yaml: string; says: RegExp }[] = [
    {
      name: 'a minute past 59',
      yaml: 'permadiffs:\n  digest:\n    cron: "61 9 * * *"\n',
      says: /permadiffs\.digest\.cron: not a cron expression \(.*minutes field.*\); expected five fields/,
    },
    {
      name: 'not cron at all',
      yaml: 'permadiffs:\n  digest:\n    cron: every morning\n',
      says: /permadiffs\.digest\.cron: not a cron expression/,
    },
    {
      name: 'an unknown time zone',
      yaml: 'permadiffs:\n  digest:\n    timezone: Europe/Atlantis\n',
      says: /permadiffs\.digest\.timezone: an IANA time zone such as Europe\/Berlin/,
    },
    {
      name: 'a misspelt key',
      yaml: 'permadiffs:\n  digest:\n    timeZone: UTC\n',
      says: /permadiffs\.digest.*timeZone/,
    },
    {
      name: 'notifyOwners that is not a boolean',
      yaml: 'permadiffs:\n  notifyOwners: sometimes\n',
      says: /permadiffs\.notifyOwners/,
    },
  ];
  for (const row of refused)
    it(`refuses ${row.name} at start, naming the key`, () => {
      const error = failure(row.yaml);
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toMatch(row.says);
    });
});
