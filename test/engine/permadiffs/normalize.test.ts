import { describe, expect, it } from 'vitest';
import { changeHash } from '../../../src/engine/delta/change-key.js';
import { normalizeHost } from '../../../src/engine/permadiffs/normalize.js';
import type { ResourceChange } from '../../../src/engine/puppet/types.js';

const file = (diff: string, extra: Partial<ResourceChange> = {}): ResourceChange => ({
  type: 'File',
  title: '/etc/motd',
  file: 'modules/motd/manifests/init.pp',
  line: 3,
  events: [{ property: 'content', from: '{md5}a', to: '{md5}b' }],
  diff,
  refresh: false,
  failed: false,
  skipped: false,
  logs: [],
  ...extra,
});

describe('host normalisation', () => {
  it.each([
    ['the name', 'web1', 'web1.dc1', '-hello\n+welcome to web1\n', '-hello\n+welcome to {{node}}\n'],
    ['the certname before the name inside it', 'web1', 'web1.dc1', '+host web1.dc1\n', '+host {{node}}\n'],
    ['a name followed by a full stop', 'web1', 'web1', '+this is web1.\n', '+this is {{node}}.\n'],
    [
      'not a longer name that starts with it',
      'web1',
      'web1',
      '+see web10 and web1-b\n',
      '+see web10 and web1-b\n',
    ],
    ['not a name in another domain', 'web1', 'web1', '+x.web1\n', '+x.web1\n'],
    ['regex characters in a name literally', 'a.b', 'a.b', '+a.b axb\n', '+{{node}} axb\n'],
  ])('replaces %s', (_, name, certname, diff, expected) => {
    expect(normalizeHost(file(diff), { name, certname }).diff).toBe(expected);
  });

  it('gives the same hash to a change that differs only by its host', () => {
    const one = normalizeHost(file('+welcome to node1\n', { logs: ['Notice: node1'] }), {
      name: 'node1',
      certname: 'node1.test',
    });
    const two = normalizeHost(file('+welcome to node2.test\n', { logs: ['Notice: node2'] }), {
      name: 'node2',
      certname: 'node2.test',
    });
    expect(changeHash(one)).toBe(changeHash(two));
    expect(one.file).toBe('modules/motd/manifests/init.pp');
  });

  it('keeps a change that names no host as the same object', () => {
    const change = file('-a\n+b\n');
    expect(normalizeHost(change, { name: 'node1', certname: 'node1' })).toBe(change);
  });
});

describe('host normalisation of content checksums', () => {
  const content = (to: string, diff: string) =>
    file(diff, { events: [{ property: 'content', from: '{md5}0f0f', to }] });

  it('replaces the checksums of a content whose diff names the host', () => {
    const one = normalizeHost(content('{md5}aaaa', '-x\n+on node1\n'), { name: 'node1' });
    const two = normalizeHost(content('{sha256}bbbb', '-x\n+on node2\n'), { name: 'node2' });
    expect(changeHash(one)).toBe(changeHash(two));
    expect(one.events[0]?.to).toBe('{checksum of content naming the node}');
  });

  it('keeps them when the diff does not name the host: a different content is a different change', () => {
    const one = normalizeHost(content('{md5}aaaa', '-x\n+one\n'), { name: 'node1' });
    expect(one.events[0]?.to).toBe('{md5}aaaa');
  });
});
