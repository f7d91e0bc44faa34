import { describe, expect, it } from 'vitest';
import { reviewMessage } from '../../../src/commands/views/review.js';
import { buildLine } from '../../../src/commands/views/review-build.js';
import { HecklerError } from '../../../src/engine/errors.js';
import type { CommitBuild } from '../../../src/engine/gate/rules.js';
import { refuseUnapprovable } from '../../../src/engine/review/decision-checks.js';
import type { DecisionRequest } from '../../../src/engine/review/service.js';
import { reviewRecord } from '../../commands/views/hostile-records.js';
import { textOf } from '../../support/review-world.js';

/** approvals.requireBuild: no Approve button and no typed approval before the commit's build passed. */

const failed: CommitBuild = {
  kind: 'builds',
  builds: [{ id: 12, pipeline: 'default', status: 'failed', stagesDone: 1, stages: 3, failedAt: 'lint' }],
};
const passed: CommitBuild = {
  kind: 'builds',
  builds: [{ id: 13, pipeline: 'default', status: 'passed', stagesDone: 3, stages: 3 }],
};
const running: CommitBuild = {
  kind: 'builds',
  builds: [{ id: 14, pipeline: 'default', status: 'running', stagesDone: 1, stages: 3 }],
};
const request = (verdict: 'approve' | 'deny'): DecisionRequest => ({
  sha: 'a'.repeat(40),
  user: 'U0BOB',
  roles: new Set(),
  verdict,
  via: 'command',
});
const gate = { approvals: true, apply: false };

describe('the Approve button', () => {
  const table: Array<[string, CommitBuild | undefined, typeof gate | undefined, boolean]> = [
    ['build failed, approvals gated', failed, gate, false],
    ['build running, approvals gated', running, gate, false],
    ['never built, approvals gated', undefined, gate, false],
    ['build passed, approvals gated', passed, gate, true],
    ['build failed, only applies gated', failed, { approvals: false, apply: true }, true],
    ['repo.build off', undefined, undefined, true],
  ];
  it.each(table)('%s', (_name, build, given, shown) => {
    const record = { ...reviewRecord(), ...(build ? { build } : {}) };
    const text = textOf(reviewMessage(record, { admins: [], approvers: [] }, given));
    expect(text.includes('[Approve:')).toBe(shown);
    expect(text).toContain('[Deny:');
  });
});

describe('the build line of a review', () => {
  it('says what the build does, and what waits for it', () => {
    const record = { ...reviewRecord(), build: running };
    expect(buildLine(record, gate)).toBe(
      ':gear: build #14 running (stage 2 of 3)\napproval waits for a passing build (approvals.requireBuild)',
    );
    expect(buildLine({ ...reviewRecord('approve'), build: failed }, { approvals: false, apply: true })).toBe(
      ':x: build #12 failed at stage lint (last log lines in the thread; `/heckler logs 12`)\n:no_entry: *applies are blocked* until the build passes (apply.requireBuild)',
    );
    expect(
      buildLine(
        { ...reviewRecord(), build: { kind: 'none', why: 'puppet has no ocelot.yml at main' } },
        gate,
      ),
    ).toMatch(/^:heavy_minus_sign: no build: puppet has no ocelot.yml at main/);
    expect(buildLine(reviewRecord(), undefined)).toBeUndefined();
  });
});

describe('a typed approval under approvals.requireBuild', () => {
  it('is refused while the build has not passed, naming the build; nothing else changes', () => {
    const record = { ...reviewRecord(), build: failed };
    const before = structuredClone(record);
    let error: unknown;
    try {
      refuseUnapprovable(record, request('approve'), { requireBuild: true });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HecklerError);
    expect((error as HecklerError).code).toBe('NOT_AUTHORIZED');
    expect((error as HecklerError).message).toContain(
      'cannot be approved before its build passes: build #12 failed at stage lint (`/heckler logs 12`)',
    );
    expect((error as HecklerError).hint).toContain('approvals.requireBuild is on');
    expect(record).toEqual(before);
  });

  it('lets a denial through, and an approval once the build passed or when not required', () => {
    expect(() =>
      refuseUnapprovable({ ...reviewRecord(), build: failed }, request('deny'), { requireBuild: true }),
    ).not.toThrow();
    expect(() =>
      refuseUnapprovable({ ...reviewRecord(), build: passed }, request('approve'), { requireBuild: true }),
    ).not.toThrow();
    expect(() =>
      refuseUnapprovable({ ...reviewRecord(), build: failed }, request('approve'), {}),
    ).not.toThrow();
    expect(() => refuseUnapprovable(reviewRecord(), request('approve'), { requireBuild: true })).toThrow(
      /not built/,
    );
  });
});
