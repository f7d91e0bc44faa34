import { describe, expect, it } from 'vitest';
import {
  type ApprovalRequest,
  type ApprovalVerdict,
  approvalStands,
  authorChatIds,
  autoApprove,
  type Decision,
  decide,
  mayApprove,
  standingDecision,
} from '../../../src/engine/delta/approval.js';
import { groupDeltas, type IgnoreRule } from '../../../src/engine/delta/group.js';
import type { NodeDelta } from '../../../src/engine/delta/subtract.js';
import { delta, real } from './support.js';

const context: Omit<ApprovalRequest, 'user' | 'roles'> = {
  // motd owned by alice; webapp by bob and erin.
  groupOwners: [['U0ALICE'], ['U0BOB', 'U0ERIN']],
  excluded: ['U0DAVE'],
  admins: ['U0ADMIN'],
  approvers: ['U0APPROVER'],
};
const webappOnly = {
  ...context,
  groupOwners: [
    ['U0BOB', 'U0ERIN'],
    ['U0ERIN', 'U0BOB'],
  ],
};

describe('mayApprove', () => {
  const cases: [string, Partial<ApprovalRequest> & { user: string }, ApprovalVerdict][] = [
    [
      'an owner of every group',
      { user: 'U0BOB', groupOwners: webappOnly.groupOwners },
      { ok: true, as: 'owner' },
    ],
    [
      'an owner of some groups only: the commit is one decision',
      { user: 'U0ALICE' },
      { ok: false, reason: 'not_owner', whoCan: ['U0APPROVER', 'U0ADMIN'] },
    ],
    [
      'a stranger: told who can',
      { user: 'U0NOBODY', groupOwners: webappOnly.groupOwners },
      { ok: false, reason: 'not_owner', whoCan: ['U0BOB', 'U0ERIN', 'U0APPROVER', 'U0ADMIN'] },
    ],
    [
      'an admin, any change',
      { user: 'U0ADMIN', roles: new Set(['admin', 'approver']) },
      { ok: true, as: 'admin' },
    ],
    [
      'an approver, any change',
      { user: 'U0APPROVER', roles: new Set(['approver']) },
      { ok: true, as: 'approver' },
    ],
    [
      'the author, though an owner',
      { user: 'U0BOB', excluded: ['U0BOB'], groupOwners: webappOnly.groupOwners },
      { ok: false, reason: 'author', whoCan: ['U0ERIN', 'U0APPROVER', 'U0ADMIN'] },
    ],
    [
      'a co-author',
      { user: 'U0ERIN', excluded: ['U0BOB', 'U0ERIN'], groupOwners: webappOnly.groupOwners },
      { ok: false, reason: 'author', whoCan: ['U0APPROVER', 'U0ADMIN'] },
    ],
    [
      'the author, though an admin (a second pair of eyes, always)',
      { user: 'U0ADMIN', excluded: ['U0ADMIN'], roles: new Set(['admin']) },
      { ok: false, reason: 'author', whoCan: ['U0APPROVER'] },
    ],
    [
      'a group without owners: only admins and approvers',
      { user: 'U0BOB', groupOwners: [['U0BOB'], []] },
      { ok: false, reason: 'not_owner', whoCan: ['U0APPROVER', 'U0ADMIN'] },
    ],
    [
      'no groups to own: owners cannot approve nothing (auto-approval covers empty deltas)',
      { user: 'U0BOB', groupOwners: [] },
      { ok: false, reason: 'not_owner', whoCan: ['U0APPROVER', 'U0ADMIN'] },
    ],
  ];
  it.each(cases)('%s', (_, request, verdict) => {
    expect(mayApprove({ ...context, roles: new Set(), ...request })).toEqual(verdict);
  });
});

describe('authorChatIds', () => {
  it('maps the author and co-authors by email, case-insensitively, and lists who is unmapped', () => {
    const people = [
      { name: 'Erin Evans', email: 'Erin@Example.com' },
      { name: 'Dave', email: 'dave@example.com' },
      { name: 'Zed', email: 'zed@example.com' },
    ];
    expect(authorChatIds(people, { 'erin@example.com': 'U0ERIN', 'dave@example.com': 'U0DAVE' })).toEqual({
      ids: ['U0ERIN', 'U0DAVE'],
      unmapped: [{ name: 'Zed', email: 'zed@example.com' }],
    });
  });
});

describe('approvalStands', () => {
  it.each([
    ['the same delta keeps it', 'abc', true],
    ['another delta voids it', 'abd', false],
  ])('%s', (_, current, stands) => expect(approvalStands({ deltaHash: 'abc' }, current)).toBe(stands));
});

describe('autoApprove', () => {
  const ignoreMotd: IgnoreRule = { type: 'File', title: '/data/motd', purpose: 'p', rationale: 'r' };
  const cases: [string, NodeDelta[], IgnoreRule[], boolean][] = [
    ['every node unchanged', [delta('a', []), delta('b', [])], [], true],
    ['not in lineage anywhere else', [delta('a', []), delta('b', [], { kind: 'not_in_lineage' })], [], true],
    ['only ignored changes', [delta('a', [real.motd()])], [ignoreMotd], true],
    ['a change', [delta('a', [real.motd()])], [], false],
    [
      'an evaluation error',
      [delta('a', [], { kind: 'eval_error', evalErrors: [{ message: 'x' }] })],
      [],
      false,
    ],
    [
      'a node unreachable: its delta is unknown',
      [delta('a', []), delta('b', [], { kind: 'unreachable', error: 'x' })],
      [],
      false,
    ],
    ['a node failed', [delta('a', []), delta('b', [], { kind: 'failed', error: 'x' })], [], false],
  ];
  it.each(cases)('%s → %s', (_, deltas, ignored, auto) => {
    expect(autoApprove(groupDeltas(deltas, { ignored }))).toBe(auto);
  });
});

describe('decisions: first one wins', () => {
  const at = Date.parse('2024-03-01T14:02:00Z');
  const d = (verdict: Decision['verdict'], user: string, fields: Partial<Decision> = {}): Decision => ({
    verdict,
    user,
    at,
    commit: 'c0ffee',
    deltaHash: 'h1',
    via: 'button',
    ...fields,
  });
  const cases: [string, Decision[], Decision, ReturnType<typeof decide>['result'], string][] = [
    ['the first decision', [], d('approve', 'U0BOB'), 'recorded', 'U0BOB'],
    ['a double click', [d('approve', 'U0BOB')], d('approve', 'U0BOB', { at: at + 1 }), 'repeated', 'U0BOB'],
    ['a second approver', [d('approve', 'U0BOB')], d('approve', 'U0ERIN'), 'already_decided', 'U0BOB'],
    [
      'a deny after an approval',
      [d('approve', 'U0BOB')],
      d('deny', 'U0ERIN', { via: 'command' }),
      'already_decided',
      'U0BOB',
    ],
    [
      'a click to approve after a deny',
      [d('deny', 'U0BOB')],
      d('approve', 'U0ERIN'),
      'already_decided',
      'U0BOB',
    ],
    [
      'a typed approve after a deny: "blocks until someone approves"',
      [d('deny', 'U0BOB')],
      d('approve', 'U0ERIN', { via: 'command' }),
      'recorded',
      'U0ERIN',
    ],
    [
      'a decision on an older delta does not count',
      [d('approve', 'U0BOB', { deltaHash: 'h0' })],
      d('approve', 'U0ERIN'),
      'recorded',
      'U0ERIN',
    ],
  ];
  it.each(cases)('%s → %s', (_, recorded, incoming, result, by) => {
    const outcome = decide(recorded, incoming);
    expect(outcome.result).toBe(result);
    expect(outcome.decision.user).toBe(by);
  });

  it('standingDecision replays the log for the current delta', () => {
    const log = [
      d('approve', 'U0BOB', { deltaHash: 'h0' }),
      d('deny', 'U0ERIN', { reason: 'not on a Friday' }),
      d('approve', 'U0BOB'),
      d('approve', 'U0ALICE', { via: 'command' }),
      d('deny', 'U0CAROL'),
    ];
    expect(standingDecision(log, 'h0')?.user).toBe('U0BOB');
    expect(standingDecision(log, 'h1')?.user).toBe('U0ALICE');
    expect(standingDecision(log, 'h2')).toBeUndefined();
  });
});
