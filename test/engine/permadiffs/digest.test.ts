import { describe, expect, it } from 'vitest';
import { buildDigest, type DigestInput, type DigestSnapshot } from '../../../src/engine/permadiffs/digest.js';
import { staleLocks, waitingLong } from '../../../src/engine/permadiffs/stale.js';
import { group, HOUR, ignoreOf, input, NOW, owned } from './digest-fixtures.js';

const exec = group(
  'h-exec',
  'Exec[touch /data/always]',
  { web1: 3, web2: 3, web3: 2 },
  { owners: owned('U0ERIN') },
);
const file = group(
  'h-file',
  'File[/data/drift.conf]',
  { web2: 2, web3: 2 },
  { owners: owned('U0ERIN', 'U0BOB') },
);
const lone = group('h-lone', 'Service[nginx]', { web1: 2 });
const young = group('h-young', 'File[/tmp/once]', { web1: 1 });
const gone = group('h-gone', 'Exec[old]', {}, { resolvedAt: NOW - 2 * HOUR });

const snapshot = (hashes: [string, string, number][], sent: DigestSnapshot['sent'] = {}): DigestSnapshot => ({
  at: NOW - 24 * HOUR,
  standing: hashes.map(([hash, name, nodes]) => ({ hash, name, nodes })),
  sent,
});

const names = (entries: { group: { resource: { type: string; title: string } } }[]) =>
  entries.map((e) => `${e.group.resource.type}[${e.group.resource.title}]`);

describe('buildDigest', () => {
  const table: {
    name: string;
    input: Partial<DigestInput>;
    standing: string[];
    fresh: string[];
    resolved: string[];
    ignored: string[];
    changed: boolean;
    nodes: number;
  }[] = [
    {
      name: 'no permadiffs at all (one observation is not one yet)',
      input: { groups: [young] },
      standing: [],
      fresh: [],
      resolved: [],
      ignored: [],
      changed: true,
      nodes: 0,
    },
    {
      name: 'the first digest: everything standing, biggest first, all of it new',
      input: { groups: [lone, file, exec, young, gone] },
      standing: ['Exec[touch /data/always]', 'File[/data/drift.conf]', 'Service[nginx]'],
      fresh: ['Exec[touch /data/always]', 'File[/data/drift.conf]', 'Service[nginx]'],
      resolved: [],
      ignored: [],
      changed: true,
      nodes: 3,
    },
    {
      name: 'new since the last digest, and one resolved (named from the snapshot though the store forgot it)',
      input: {
        groups: [exec, file],
        previous: snapshot([
          ['h-exec', 'Exec[touch /data/always]', 3],
          ['h-forgotten', 'Cron[backup]', 7],
        ]),
      },
      standing: ['Exec[touch /data/always]', 'File[/data/drift.conf]'],
      fresh: ['File[/data/drift.conf]'],
      resolved: ['Cron[backup]'],
      ignored: [],
      changed: true,
      nodes: 3,
    },
    {
      name: 'nothing changed since the last digest',
      input: {
        groups: [exec, file],
        previous: snapshot([
          ['h-exec', 'Exec[touch /data/always]', 3],
          ['h-file', 'File[/data/drift.conf]', 2],
        ]),
      },
      standing: ['Exec[touch /data/always]', 'File[/data/drift.conf]'],
      fresh: [],
      resolved: [],
      ignored: [],
      changed: false,
      nodes: 3,
    },
    {
      name: 'a new ignore collapses a group: not standing, not counted, not "resolved", but a change',
      input: {
        groups: [exec, file],
        ignores: [ignoreOf('file', '/data/drift.conf')],
        previous: snapshot([
          ['h-exec', 'Exec[touch /data/always]', 3],
          ['h-file', 'File[/data/drift.conf]', 2],
        ]),
      },
      standing: ['Exec[touch /data/always]'],
      fresh: [],
      resolved: [],
      ignored: ['File[/data/drift.conf]'],
      changed: true,
      nodes: 3,
    },
    {
      name: 'the same ignore at the next digest: nothing changed',
      input: {
        groups: [exec, file],
        ignores: [ignoreOf('file', '/data/drift.conf')],
        previous: { ...snapshot([['h-exec', 'Exec[touch /data/always]', 3]]), ignored: ['h-file'] },
      },
      standing: ['Exec[touch /data/always]'],
      fresh: [],
      resolved: [],
      ignored: ['File[/data/drift.conf]'],
      changed: false,
      nodes: 3,
    },
    {
      name: 'an ignore on some nodes only: the rest of the group still stands',
      input: {
        groups: [exec],
        ignores: [ignoreOf('Exec', 'touch /data/always', { nodes: ['web1', 'web9'] })],
      },
      standing: ['Exec[touch /data/always]'],
      fresh: ['Exec[touch /data/always]'],
      resolved: [],
      ignored: ['Exec[touch /data/always]'],
      changed: true,
      nodes: 2,
    },
    {
      name: 'an ignore of another title or type ignores nothing',
      input: {
        groups: [exec],
        ignores: [ignoreOf('Exec', 'touch /data/never'), ignoreOf('File', 'touch /data/always')],
      },
      standing: ['Exec[touch /data/always]'],
      fresh: ['Exec[touch /data/always]'],
      resolved: [],
      ignored: [],
      changed: true,
      nodes: 3,
    },
  ];
  for (const row of table)
    it(row.name, () => {
      const { digest, snapshot: next } = buildDigest(input(row.input));
      expect(names(digest.standing)).toEqual(row.standing);
      expect(names(digest.fresh)).toEqual(row.fresh);
      expect(digest.resolved.map((g) => g.name)).toEqual(row.resolved);
      expect(names(digest.ignored)).toEqual(row.ignored);
      expect(digest.changed).toBe(row.changed);
      expect(digest.nodesAffected).toBe(row.nodes);
      expect(next.standing.map((g) => g.name)).toEqual(row.standing);
      expect(next.at).toBe(NOW);
    });

  it('keeps the nodes an ignore did not take', () => {
    const { digest } = buildDigest(
      input({ groups: [exec], ignores: [ignoreOf('Exec', 'touch /data/always', { nodes: ['web1'] })] }),
    );
    expect(digest.standing[0]?.nodes).toEqual(['web2', 'web3']);
    expect(digest.ignored[0]?.nodes).toEqual(['web1']);
  });

  it('passes the last scan’s could-not-scan list, stale locks and long-waiting commits through', () => {
    const notScanned = [{ node: 'web4', reason: 'unreachable' as const, detail: 'connection refused' }];
    const { digest } = buildDigest(
      input({
        lastScan: {
          at: NOW - HOUR,
          startedAt: NOW - 2 * HOUR,
          by: 'schedule',
          scanned: ['web1'],
          notScanned,
        },
      }),
    );
    expect(digest.notScanned).toEqual(notScanned);
  });
});

describe('owner messages', () => {
  const admins = { admins: ['U0ADMIN'] };

  it('each owner gets only their groups; unowned groups go to the admins', () => {
    const { owners, snapshot: next } = buildDigest(input({ groups: [exec, file, lone], owners: admins }));
    const of = (user: string) => owners.find((o) => o.user === user);
    expect(owners.map((o) => o.user)).toEqual(['U0ADMIN', 'U0BOB', 'U0ERIN']);
    expect(names(of('U0ERIN')?.owned ?? [])).toEqual(['Exec[touch /data/always]', 'File[/data/drift.conf]']);
    expect(names(of('U0BOB')?.owned ?? [])).toEqual(['File[/data/drift.conf]']);
    expect(names(of('U0ADMIN')?.unowned ?? [])).toEqual(['Service[nginx]']);
    expect(of('U0ADMIN')?.owned).toEqual([]);
    expect(Object.keys(next.sent).sort()).toEqual(['U0ADMIN', 'U0BOB', 'U0ERIN']);
  });

  it('only when their set changed since the last message they got', () => {
    const first = buildDigest(input({ groups: [exec, file], owners: admins }));
    const same = buildDigest(input({ groups: [exec, file], owners: admins, previous: first.snapshot }));
    expect(same.owners).toEqual([]);
    // Bob's group spreads to a new node: his set changed; Erin's did too (she owns it as well).
    const spread = group(
      'h-file',
      'File[/data/drift.conf]',
      { web1: 2, web2: 3, web3: 3 },
      {
        owners: owned('U0ERIN', 'U0BOB'),
      },
    );
    const changed = buildDigest(input({ groups: [exec, spread], owners: admins, previous: same.snapshot }));
    expect(changed.owners.map((o) => o.user)).toEqual(['U0BOB', 'U0ERIN']);
  });

  it('tells an owner once that all theirs went, then forgets them', () => {
    const first = buildDigest(input({ groups: [exec, file], owners: admins }));
    const fixed = buildDigest(input({ groups: [exec], owners: admins, previous: first.snapshot }));
    const bob = fixed.owners.find((o) => o.user === 'U0BOB');
    expect(bob?.owned).toEqual([]);
    expect(bob?.resolved.map((g) => g.name)).toEqual(['File[/data/drift.conf]']);
    expect(fixed.snapshot.sent.U0BOB).toBeUndefined();
    const later = buildDigest(input({ groups: [exec], owners: admins, previous: fixed.snapshot }));
    expect(later.owners).toEqual([]);
  });

  it('sends nothing privately without notifyOwners, and keeps what was sent before', () => {
    const first = buildDigest(input({ groups: [exec], owners: admins }));
    const quiet = buildDigest(input({ groups: [exec, file], previous: first.snapshot }));
    expect(quiet.owners).toEqual([]);
    expect(quiet.snapshot.sent).toEqual(first.snapshot.sent);
  });

  it('never sends an ignored group to its owner', () => {
    const { owners } = buildDigest(
      input({ groups: [exec, file], owners: admins, ignores: [ignoreOf('File', '/data/drift.conf')] }),
    );
    expect(owners.map((o) => o.user)).toEqual(['U0ERIN']);
    expect(names(owners[0]?.owned ?? [])).toEqual(['Exec[touch /data/always]']);
  });
});

describe('stale locks and long-waiting commits', () => {
  const lock = (node: string, owner: string, heldHours: number) => ({
    key: `node:${node}`,
    node,
    owner,
    reason: 'maintenance',
    since: NOW - heldHours * HOUR,
    expiresAt: NOW + HOUR,
  });
  it.each([
    {
      name: 'a person holding a lock for two days',
      lock: lock('web1', 'U0BOB', 48),
      running: [] as number[],
      stale: 'held long',
    },
    {
      name: 'a person holding it for an hour',
      lock: lock('web1', 'U0BOB', 1),
      running: [] as number[],
      stale: undefined,
    },
    {
      name: 'an apply that is no longer running',
      lock: lock('web2', 'heckler:apply#7', 1),
      running: [] as number[],
      stale: 'apply not running',
    },
    {
      name: 'an apply still running, for days',
      lock: lock('web2', 'heckler:apply#7', 72),
      running: [7],
      stale: undefined,
    },
  ])('$name', ({ lock: held, running, stale }) => {
    const found = staleLocks([held], NOW, (id) => running.includes(id));
    expect(found[0]?.why.kind).toBe(stale);
  });

  it('lists commits pending for more than a day, oldest first', () => {
    const review = (sha: string, hours: number) => ({
      sha,
      shortSha: sha.slice(0, 7),
      subject: `commit ${sha}`,
      committedAt: NOW - hours * HOUR,
    });
    expect(
      waitingLong([review('bbbbbbbb', 30), review('aaaaaaaa', 2), review('cccccccc', 50)], NOW).map(
        (r) => r.sha,
      ),
    ).toEqual(['cccccccc', 'bbbbbbbb']);
  });
});
