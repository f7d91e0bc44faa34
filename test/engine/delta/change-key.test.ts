import { describe, expect, it } from 'vitest';
import {
  canonicalChange,
  changeHash,
  identityKey,
  sameChange,
} from '../../../src/engine/delta/change-key.js';
import type { ResourceChange } from '../../../src/engine/puppet/types.js';
import { change, random, real } from './support.js';

const base = change({
  type: 'File',
  title: '/etc/app.conf',
  defineType: 'App::Config[main]',
  file: 'modules/app/manifests/config.pp',
  line: 7,
  events: [
    { property: 'content', from: '{sha256}aa', to: '{sha256}bb' },
    { property: 'mode', from: '0644', to: '0600' },
  ],
  diff: '--- /etc/app.conf\n+++ /tmp/x\n@@ -1 +1 @@\n-a\n+b',
  logs: ['Warning: one', 'Error: two'],
});

describe('changeHash: what makes two changes one', () => {
  const same: [string, ResourceChange][] = [
    ['the same change', { ...base }],
    ['events in another order', { ...base, events: [...base.events].reverse() }],
    ['logs in another order', { ...base, logs: [...base.logs].reverse() }],
    ['declared elsewhere (file)', { ...base, file: 'modules/app/manifests/init.pp' }],
    ['declared elsewhere (line)', { ...base, line: 99 }],
    ['no source location at all', { ...base, file: undefined, line: undefined }],
  ];
  it.each(same)('same hash: %s', (_, other) => {
    expect(changeHash(other)).toBe(changeHash(base));
    expect(sameChange(other, base)).toBe(true);
    expect(identityKey(other)).toBe(identityKey(base));
  });

  const different: [string, ResourceChange][] = [
    ['another type', { ...base, type: 'Concat' }],
    ['another title', { ...base, title: '/etc/app2.conf' }],
    ['another defined type', { ...base, defineType: 'App::Config[other]' }],
    ['no defined type', { ...base, defineType: undefined }],
    ['another diff', { ...base, diff: `${base.diff}\n+c` }],
    ['no diff', { ...base, diff: undefined }],
    ['an empty diff (not the same as none)', { ...base, diff: '' }],
    [
      'another event target',
      { ...base, events: [{ ...base.events[0]!, to: '{sha256}cc' }, base.events[1]!] },
    ],
    ['an event less', { ...base, events: [base.events[0]!] }],
    ['null, not the text "null"', { ...base, events: [{ ...base.events[0]!, from: null }, base.events[1]!] }],
    ['a refresh', { ...base, refresh: true }],
    ['failed', { ...base, failed: true }],
    ['skipped', { ...base, skipped: true }],
    ['another log', { ...base, logs: ['Warning: one'] }],
  ];
  it.each(different)('different hash: %s', (_, other) => {
    expect(changeHash(other)).not.toBe(changeHash(base));
    expect(sameChange(other, base)).toBe(false);
    expect(identityKey(other)).not.toBe(identityKey(base));
  });

  it('is sha256 hex of a pinned canonical text (changing identity voids every approval: do it on purpose)', () => {
    expect(canonicalChange(real.reload())).toBe('["Exec","reload webapp",null,[],null,true,false,false,[]]');
    expect(changeHash(real.reload())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('real reports: two nodes with different diffs for one file are two changes', () => {
    expect(changeHash(real.motdNode1())).not.toBe(changeHash(real.motdNode2()));
  });

  it('real reports: the exec moved from line 12 to line 10 is still the same change', () => {
    expect([real.reload().line, real.reloadMoved().line]).toEqual([12, 10]);
    expect(changeHash(real.reloadMoved())).toBe(changeHash(real.reload()));
  });

  it('does not reorder the caller’s arrays', () => {
    const events = [...base.events].reverse();
    const logs = [...base.logs];
    canonicalChange({ ...base, events, logs });
    expect(events[0]?.property).toBe('mode');
    expect(logs[0]).toBe('Warning: one');
  });

  it('property: sameChange and identityKey agree with comparing canonical texts', () => {
    const rng = random(7);
    const mutations: ((c: ResourceChange) => ResourceChange)[] = [
      (c) => c,
      (c) => ({ ...c, events: [...c.events].reverse() }),
      (c) => ({ ...c, line: rng.int(50) }),
      (c) => ({ ...c, title: rng.pick(['/a', '/b', '1:/a', '']) }),
      (c) => ({ ...c, defineType: rng.pick([undefined, '', '-', 'X[1]']) }),
      (c) => ({ ...c, diff: rng.pick([undefined, '', '+x', '+y']) }),
      (c) => ({ ...c, events: c.events.map((e) => ({ ...e, to: rng.pick([null, 'x', e.to]) })) }),
      (c) => ({ ...c, logs: rng.pick([[], ['a'], ['a', 'b'], ['b', 'a']]) }),
      (c) => ({ ...c, refresh: rng.next() < 0.5, skipped: rng.next() < 0.2 }),
    ];
    for (let i = 0; i < 2_000; i++) {
      const a = rng.pick(mutations)(rng.pick(mutations)(base));
      const b = rng.pick(mutations)(rng.pick(mutations)(base));
      const same = canonicalChange(a) === canonicalChange(b);
      expect(sameChange(a, b)).toBe(same);
      expect(identityKey(a) === identityKey(b)).toBe(same);
    }
  });
});
