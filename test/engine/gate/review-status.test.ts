import { describe, expect, it } from 'vitest';
import { githubRepoOf, githubWebHost } from '../../../src/engine/builds/status-reporter.js';
import { REVIEW_STATUS_CONTEXT, reviewCommitStatus } from '../../../src/engine/gate/review-status.js';
import type { ReviewRecord } from '../../../src/engine/review/records.js';
import { reviewRecord } from '../../commands/views/hostile-records.js';

const names: Record<string, string> = { U0BOB: 'bob', U0CAROL: 'carol' };
const nameOf = (id: string) => (names[id] ? `@${names[id]}` : id);

/** The hostile record, with the node counts and owners a case needs. */
const record = (
  decided?: 'approve' | 'deny',
  counts: Partial<ReviewRecord['grouped']['counts']> = {},
  over: Partial<ReviewRecord> = {},
): ReviewRecord => {
  const base = reviewRecord(decided);
  return {
    ...base,
    grouped: { ...base.grouped, counts: { ...base.grouped.counts, failed: 0, unreachable: 0, ...counts } },
    groupOwners: [{ owners: ['U0BOB'], unmapped: ['@acme/dba'], source: 'module' }],
    evalOwners: [{ owners: ['U0CAROL', 'U0BOB'], unmapped: [], source: 'file' }],
    ...over,
  };
};

describe('heckler/review on the commit', () => {
  it.each<[string, ReviewRecord, string, string]>([
    ['waiting', record(), 'pending', 'waiting for @bob, @acme/dba, @carol'],
    ['approved', record('approve'), 'success', 'approved by @bob'],
    [
      'noop failed on two nodes',
      record(undefined, { failed: 1, unreachable: 1 }),
      'error',
      'noop failed on 2 nodes: see the review in chat',
    ],
    [
      'noop failed on one node',
      record(undefined, { failed: 1 }),
      'error',
      'noop failed on 1 node: see the review in chat',
    ],
    [
      'nobody owns it',
      record(undefined, {}, { groupOwners: [], evalOwners: [] }),
      'pending',
      'waiting for an approver or admin',
    ],
  ])('%s → %s "%s"', (_what, given, state, description) => {
    expect(reviewCommitStatus(given, nameOf)).toEqual({ context: REVIEW_STATUS_CONTEXT, state, description });
  });

  it('denied: who and why, on one line, within 140 characters', () => {
    const denied = record('deny');
    const decision = denied.decisions[0];
    if (decision) decision.reason = `breaks\nprod ${'x'.repeat(200)}`;
    const status = reviewCommitStatus(denied, nameOf);
    expect(status.state).toBe('failure');
    expect(status.description).toMatch(/^denied by @bob: breaks prod x+$/);
    expect(status.description.length).toBe(140);
  });

  it('names as many owners as fit, and how many more', () => {
    const owners = Array.from({ length: 40 }, (_, i) => `@owner-number-${i}`);
    const many = record(
      undefined,
      {},
      { groupOwners: [{ owners: [], unmapped: owners, source: 'file' }], evalOwners: [] },
    );
    const { description } = reviewCommitStatus(many, nameOf);
    expect(description.length).toBeLessThanOrEqual(140);
    expect(description).toMatch(/^waiting for @owner-number-0, @owner-number-1, .* and \d+ more$/);
  });
});

describe('repositories recognised from their URL', () => {
  it.each<[string, string, string | undefined]>([
    ['https://api.github.com', 'github.com', undefined],
    ['https://ghe.example.com/api/v3', 'ghe.example.com', undefined],
    ['https://api.acme.ghe.com', 'acme.ghe.com', undefined],
    ['not a url', '', undefined],
  ])('the web host of %s is %s', (api, host) => {
    expect(githubWebHost(api)).toBe(host || undefined);
  });

  it.each<[string, string[] | undefined, string | undefined]>([
    ['https://github.com/acme/api.git', undefined, 'acme/api'],
    ['git@github.com:acme/api.git', undefined, 'acme/api'],
    ['ssh://git@github.com/acme/api', undefined, 'acme/api'],
    ['https://x-access-token:t@github.com/acme/api', undefined, 'acme/api'],
    ['https://ghe.example.com/infra/puppet.git', undefined, undefined],
    ['https://ghe.example.com/infra/puppet.git', ['github.com', 'ghe.example.com'], 'infra/puppet'],
    ['git@ghe.example.com:infra/puppet.git', ['github.com', 'ghe.example.com'], 'infra/puppet'],
    ['https://notghe.example.com/infra/puppet.git', ['ghe.example.com'], undefined],
    ['https://github.com.evil.test/acme/api', undefined, undefined],
    ['/srv/git/acme/api', undefined, undefined],
  ])('%s (hosts %j) → %s', (url, hosts, repo) => {
    expect(githubRepoOf(url, hosts)).toBe(repo);
  });
});
