import { describe, expect, it } from 'vitest';
import { fleetByRevision, homeFactsFor, type SharedFacts } from '../../../src/engine/home/facts.js';
import type { PermadiffGroup } from '../../../src/engine/permadiffs/state.js';
import type { AuditEntry } from '../../../src/engine/review/records.js';
import { reviewRecord } from '../../commands/views/hostile-records.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('the fleet by revision', () => {
  it.each([
    ['no nodes', [], []],
    [
      'most nodes first, never-applied last, dirty and locked counted per revision',
      [
        { node: 'n4' },
        { node: 'n1', applied: { revision: A, dirty: false } },
        { node: 'n2', applied: { revision: B, dirty: true } },
        { node: 'n3', applied: { revision: B, dirty: false } },
      ],
      [
        { sha: B, names: ['v2'], nodes: ['n2', 'n3'], dirty: ['n2'], locked: ['n3'] },
        { sha: A, names: ['v1'], nodes: ['n1'], dirty: [], locked: [] },
        { names: [], nodes: ['n4'], dirty: [], locked: [] },
      ],
    ],
  ])('%s', (_, nodes, rows) => {
    const names = (sha: string) => (sha === A ? ['v1'] : ['v2']);
    expect(fleetByRevision(nodes, [{ node: 'n3' }], names)).toEqual(rows);
  });
});

const permadiff = (owner: string, resolvedAt?: number): PermadiffGroup =>
  ({
    hash: owner,
    resource: { type: 'File', title: `/${owner}` },
    sources: [],
    nodes: {},
    firstSeen: 0,
    lastSeen: 0,
    owners: [{ owners: [owner], unmapped: [], source: 'file', of: 'x' }],
    ...(resolvedAt ? { resolvedAt } : {}),
  }) as unknown as PermadiffGroup;

const entry = (user: string, action: AuditEntry['action'], at: number): AuditEntry => ({
  at,
  user,
  action,
  via: 'button',
});

const shared = (): SharedFacts => ({
  // Owned by U0BOB (groups) and U0CAROL (evaluation errors), written by U0ALICE.
  reviews: [reviewRecord()],
  applies: [],
  builds: [],
  locks: [
    { key: 'node:n1', node: 'n1', owner: 'U0BOB', reason: 'mine', since: 0, expiresAt: 1 },
    { key: 'node:n2', node: 'n2', owner: 'U0CAROL', reason: 'hers', since: 0, expiresAt: 1 },
  ],
  fleet: [],
  permadiffs: [permadiff('U0BOB'), permadiff('U0CAROL'), permadiff('U0BOB', 5)],
  audit: [
    entry('U0BOB', 'approve', 1),
    entry('U0CAROL', 'deny', 2),
    entry('U0BOB', 'deny', 3),
    entry('heckler', 'auto_approve', 4),
  ],
  has: { fleet: true, builds: true },
});

describe("one user's facts", () => {
  it("never another user's locks, permadiffs or decisions", () => {
    const bob = homeFactsFor('U0BOB', shared(), { admins: [], approvers: [] });
    expect(bob.locks.map((l) => l.node)).toEqual(['n1']);
    expect(bob.permadiffs.map((p) => p.hash)).toEqual(['U0BOB']);
    expect(bob.decisions.map((d) => d.at)).toEqual([3, 1]);
  });

  it.each([
    ['an owner of only part of it', 'U0BOB', { admins: [], approvers: [] }, 0],
    ['an admin', 'U0ADMIN', { admins: ['U0ADMIN'], approvers: [] }, 1],
    ['an approver', 'U0ERIN', { admins: [], approvers: ['U0ERIN'] }, 1],
    ['its author, even as admin', 'U0ALICE', { admins: ['U0ALICE'], approvers: [] }, 0],
    ['a stranger', 'U0NOBODY', { admins: [], approvers: [] }, 0],
  ])('waiting for %s: %s', (_, user, roles, count) => {
    expect(homeFactsFor(user, shared(), roles).awaiting).toHaveLength(count);
  });
});
