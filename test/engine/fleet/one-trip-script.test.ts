import { describe, expect, it } from 'vitest';
import { oneTripScript, readOneTrip, SYNC_NEEDED_EXIT } from '../../../src/engine/fleet/one-trip-script.js';

const MARKER = 'heckler-sync-needed-0123456789abcdef';
const SHA = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);

describe('readOneTrip: did the node run the command, or say what it has?', () => {
  const cases: {
    name: string;
    stdout: string;
    exitCode: number | null;
    expected: ReturnType<typeof readOneTrip>;
  }[] = [
    {
      name: 'the command ran and succeeded',
      stdout: 'puppet output\n',
      exitCode: 0,
      expected: { ran: true },
    },
    {
      name: 'the command ran and exited 75 itself',
      stdout: 'something\n',
      exitCode: SYNC_NEEDED_EXIT,
      expected: { ran: true },
    },
    {
      name: 'the marker with another exit code (the command printed it)',
      stdout: `${MARKER}\nrepo absent\n`,
      exitCode: 2,
      expected: { ran: true },
    },
    {
      name: 'the marker after other output (not the node refusing)',
      stdout: `x\n${MARKER}\nrepo absent\n`,
      exitCode: SYNC_NEEDED_EXIT,
      expected: { ran: true },
    },
    {
      name: 'a marker with another nonce',
      stdout: 'heckler-sync-needed-ffffffffffffffff\nrepo absent\n',
      exitCode: SYNC_NEEDED_EXIT,
      expected: { ran: true },
    },
    {
      name: 'the node lacks a checkout',
      stdout: `${MARKER}\nrepo absent\n`,
      exitCode: SYNC_NEEDED_EXIT,
      expected: { ran: false, probe: { repo: 'absent', gitRunning: false, hasSha: false, dirty: false } },
    },
    {
      name: 'the node lacks the commit',
      stdout: `${MARKER}\nsynced ${HEAD}\nhead ${HEAD}\nrepo ok\n`,
      exitCode: SYNC_NEEDED_EXIT,
      expected: {
        ran: false,
        probe: { synced: HEAD, repo: 'ok', head: HEAD, gitRunning: false, hasSha: false, dirty: false },
      },
    },
    {
      name: 'a dirty tree under a lock',
      stdout: `${MARKER}\nlock 120\nhead ${HEAD}\nrepo ok\nhas\ndirty\n`,
      exitCode: SYNC_NEEDED_EXIT,
      expected: {
        ran: false,
        probe: { repo: 'ok', head: HEAD, lockAgeS: 120, gitRunning: false, hasSha: true, dirty: true },
      },
    },
    {
      name: 'garbage after the marker: nothing is believed',
      stdout: `${MARKER}\nhead $(rm -rf /)\nsynced ../../etc\nlock soon\n`,
      exitCode: SYNC_NEEDED_EXIT,
      expected: { ran: false, probe: { repo: 'ok', gitRunning: false, hasSha: false, dirty: false } },
    },
  ];
  it.each(cases)('$name', ({ stdout, exitCode, expected }) => {
    expect(readOneTrip(stdout, exitCode, MARKER)).toEqual(expected);
  });
});

describe('oneTripScript', () => {
  const base = {
    checkout: '/data/h/checkout',
    state: '/data/h/state',
    sha: SHA,
    marker: MARKER,
    command: 'run-it',
  };

  it('reads a bundle from stdin only when one is sent, and runs the command last', () => {
    const withBundle = oneTripScript({ ...base, withBundle: true });
    const without = oneTripScript({ ...base, withBundle: false });
    expect(withBundle).toContain('cat > "$s/incoming.bundle"');
    expect(withBundle).toContain('g bundle unbundle "$s/incoming.bundle"');
    expect(without).not.toContain('incoming.bundle');
    for (const script of [withBundle, without]) {
      expect(script.trimEnd().endsWith('\nrun-it')).toBe(true);
      expect(script).toContain(`echo ${MARKER}`);
      expect(script).toContain(`exit ${SYNC_NEEDED_EXIT}`);
    }
  });

  it('refuses a marker that could be shell syntax', () => {
    expect(() => oneTripScript({ ...base, withBundle: false, marker: 'x; rm -rf /' })).toThrow(/bad marker/);
    expect(() => oneTripScript({ ...base, withBundle: false, marker: 'short' })).toThrow(/bad marker/);
  });

  it('quotes paths that need it', () => {
    const script = oneTripScript({ ...base, checkout: "/data/it's/checkout", withBundle: false });
    expect(script).toContain(`c='/data/it'\\''s/checkout'`);
  });
});
