import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/bot/render/text.js';
import { applyViews } from '../../src/commands/views/apply-progress.js';
import { statusMessage } from '../../src/commands/views/status.js';
import type { ApplyRecord } from '../../src/engine/apply/records.js';
import type { Message } from '../../src/engine/ports/index.js';

/** The apply messages pinned as the terminal shows them (Block Kit comes from the same blocks). */
const sha = (c: string) => c.repeat(40);
const at = (hhmmss: string) => Date.parse(`2024-03-01T${hhmmss}Z`);
const users = { U0BOB: 'bob', U0ALICE: 'alice', U0CAROL: 'carol', U0ADA: 'ada' };
const show = (message: Message) => {
  let button = 1;
  return renderText(message, { users, numberButton: () => button++ }).join('\n');
};

const planned: ApplyRecord = {
  id: 4,
  revision: 'v2.1',
  sha: sha('3'),
  shortSha: '3333333',
  subject: 'webapp: eight workers',
  names: ['v2.1'],
  requestedBy: 'U0BOB',
  selector: { set: 'all' },
  force: false,
  fleetHash: 'h',
  nodes: [
    { node: 'web01', from: { sha: sha('1'), names: ['v2.0'] }, dirty: false, commits: [sha('a'), sha('b')] },
    { node: 'web02', from: { sha: sha('1'), names: ['v2.0'] }, dirty: false, commits: [sha('a'), sha('b')] },
    {
      node: 'db1',
      from: { sha: sha('9'), names: ['v1.0'] },
      dirty: false,
      commits: [sha('c'), sha('a'), sha('b')],
    },
  ],
  skipped: [{ node: 'web03', why: 'at_revision', detail: 'already at v2.1 (3333333)' }],
  commits: [
    {
      sha: sha('c'),
      shortSha: 'ccccccc',
      subject: 'db: tune buffers',
      author: 'Carol Cooper',
      approvedBy: 'U0ALICE',
    },
    {
      sha: sha('a'),
      shortSha: 'aaaaaaa',
      subject: 'webapp: eight workers',
      author: 'Bob Baker',
      approvedBy: 'U0ALICE',
    },
    { sha: sha('b'), shortSha: 'bbbbbbb', subject: 'motd: typo', author: 'Dave', approvedBy: 'auto' },
  ],
  blockers: [],
  warnings: [],
  status: 'planned',
  plannedAt: at('14:02:00'),
  expiresAt: at('14:12:00'),
  stages: [],
  channel: 'C1',
};

const running: ApplyRecord = {
  ...planned,
  status: 'running',
  confirmedBy: 'U0BOB',
  confirmedAt: at('14:04:00'),
  startedAt: at('14:04:00'),
  stages: [
    {
      name: 'canaries',
      status: 'done',
      startedAt: 0,
      finishedAt: 12_000,
      nodes: [{ node: 'web01', status: 'ok' }],
    },
    {
      name: 'all',
      status: 'running',
      startedAt: 12_000,
      nodes: [
        { node: 'web02', status: 'running' },
        {
          node: 'db1',
          status: 'failed',
          outcome: 'compile_error',
          durationMs: 4_000,
          error: "Evaluation Error: Unknown function: 'motd_banner'. (modules/motd/manifests/init.pp:6)",
        },
      ],
    },
  ],
};

describe('the plan', () => {
  it('lists nodes grouped by where they start, what is skipped, the commits, and Confirm / Cancel', () => {
    expect(show(applyViews.status(planned, at('14:03:00')))).toBe(
      [
        '== Apply plan #4: v2.1 on 3 nodes ==',
        '*v2.1 (3333333)* webapp: eight workers',
        'asked by @bob · all nodes',
        '*Nodes*',
        '• *web{01,02}* on v2.0 (1111111) → brings 2 commits',
        '• *db1* on v1.0 (9999999) → brings 3 commits',
        '*Skipped*',
        '• *web03* already at v2.1 (3333333)',
        '*Commits* (3, oldest first)',
        '• `ccccccc` db: tune buffers — Carol Cooper · approved by @alice',
        '• `aaaaaaa` webapp: eight workers — Bob Baker · approved by @alice',
        '• `bbbbbbb` motd: typo — Dave · auto-approved',
        '  Confirm by 14:12 UTC (9m left); the nodes are locked when you confirm.',
        '[1] Confirm  [2] Cancel',
      ].join('\n'),
    );
  });

  it('blocked: no Confirm, each blocker with what would unblock it', () => {
    const blocked: ApplyRecord = {
      ...planned,
      blockers: [
        {
          sha: sha('a'),
          shortSha: 'aaaaaaa',
          subject: 'webapp: eight workers',
          kind: 'pending',
          owners: ['U0BOB', 'U0CAROL'],
        },
        {
          sha: sha('c'),
          shortSha: 'ccccccc',
          subject: 'db: tune buffers',
          kind: 'denied',
          owners: [],
          by: 'U0ADA',
          reason: 'not before the sale',
        },
        { sha: sha('b'), shortSha: 'bbbbbbb', subject: 'motd: typo', kind: 'stale', owners: [] },
        { sha: sha('d'), shortSha: 'ddddddd', subject: 'new', kind: 'not_nooped', owners: [] },
      ],
    };
    const text = show(applyViews.status(blocked, at('14:03:00')));
    expect(text).toContain('== Apply plan #4: v2.1 on 3 nodes — blocked ==');
    expect(text).toContain(
      [
        '⛔ *Blocked*: 4 commits are not approved for the fleet as it is now',
        '• `aaaaaaa` webapp: eight workers — waiting for approval from @bob, @carol (or an approver or admin)',
        '• `ccccccc` db: tune buffers — denied by @ada: not before the sale (a typed `/heckler approve ccccccc` overturns it)',
        '• `bbbbbbb` motd: typo — noop stale: the fleet changed since it was nooped; the bot re-noops stale commits on its schedule, or now with `/heckler noop bbbbbbb`',
        '• `ddddddd` new — not yet nooped: `/heckler noop ddddddd` reviews it',
        '  This plan cannot be confirmed. Once every commit above is approved, run `/heckler apply v2.1` again.',
      ].join('\n'),
    );
    expect(text).not.toContain('Confirm]');
  });

  it('expired and dropped plans lose their buttons', () => {
    expect(show(applyViews.status({ ...planned, status: 'expired' }, at('14:13:00')))).toMatch(
      /⏳ Plan #4 expired at 14:12 UTC without a confirm\. Run `\/heckler apply v2\.1` again\.$/,
    );
    expect(
      show(
        applyViews.status(
          { ...planned, status: 'cancelled', cancelledBy: 'U0BOB', cancelledAt: at('14:05:00') },
          0,
        ),
      ),
    ).toMatch(/🚫 Dropped by @bob at 14:05 UTC\.$/);
  });
});

describe('the progress message', () => {
  it('while running: the progress line, who and how long, what runs now, failures, and Cancel', () => {
    expect(show(applyViews.status(running, at('14:05:10')))).toBe(
      [
        '== Apply #4: v2.1 — running ==',
        '🔄 apply v2.1 #4 — canaries 1/1 ✓, all 0/2 ✓ 1 ✗',
        '  v2.1 (3333333) webapp: eight workers · asked by @bob · confirmed by @bob at 14:04 UTC · 1m10s so far',
        '  applying now: web02',
        '❌ *Failed* (1, marked dirty until an apply succeeds)',
        "• *db1* does not compile after 4s: Evaluation Error: Unknown function: 'motd_banner'. (modules/motd/manifests/init.pp:6)",
        '[1] Cancel',
      ].join('\n'),
    );
  });

  it('when over: how it ended, and the summary for the channel with durations', () => {
    const done: ApplyRecord = structuredClone({
      ...running,
      status: 'failed' as const,
      finishedAt: at('14:05:40'),
      note: 'stopped after 1 failure in all (the threshold is 0)',
    });
    const all = done.stages[1];
    if (!all?.nodes[0]) throw new Error('no stage');
    all.nodes[0].status = 'ok';
    all.status = 'done';
    all.finishedAt = 40_000;
    expect(show(applyViews.status(done, at('14:06:00')))).toMatch(
      /❌ stopped after 1 failure in all \(the threshold is 0\)$/,
    );
    expect(show(applyViews.summary(done))).toBe(
      [
        '❌ apply v2.1 #4 failed: 2 of 3 nodes applied, 1 failed (db1) — canaries 1/1 ✓ in 12s, all 1/2 ✓ 1 ✗ in 28s; 1m40s in all',
        '  v2.1 (3333333) · confirmed by @bob · stopped after 1 failure in all (the threshold is 0)',
      ].join('\n'),
    );
  });
});

describe('/heckler status', () => {
  it('a summary line on top, then per node revision, when, clean or dirty, lock and last noop', () => {
    const now = at('15:00:00');
    const clock = { now: () => now };
    const applied = (revision: string, names: string[], dirty = false) => ({
      revision,
      names,
      appliedAt: at('14:30:00'),
      outcome: dirty ? ('failed' as const) : ('ok' as const),
      dirty,
      by: 'U0BOB',
    });
    const text = show(
      statusMessage(
        {
          nodes: [
            {
              node: 'web01',
              applied: applied(sha('3'), ['v2.1', 'main']),
              lastNoop: { at: at('14:58:00'), sha: sha('3'), outcome: 'unchanged' },
            },
            {
              node: 'web02',
              applied: applied(sha('3'), ['v2.1', 'main'], true),
              lock: {
                node: 'web02',
                key: 'node:web02',
                owner: 'U0ALICE',
                reason: 'kernel upgrade',
                since: now,
                expiresAt: now + 3_600_000,
              },
            },
            { node: 'db1', applied: applied(sha('1'), ['v2.0']) },
            { node: 'db2', unreadable: 'connection refused' },
          ],
        },
        clock,
      ),
    );
    expect(text).toBe(
      [
        '== Fleet status ==',
        '4 nodes: 2 on v2.1, 1 on v2.0; 1 unreachable; 1 dirty; 1 locked',
        '• *web01* v2.1, main (3333333) · applied 14:30 UTC (30m ago) by @bob · clean · last noop 2m ago (3333333)',
        '• *web02* v2.1, main (3333333) · applied 14:30 UTC (30m ago) by @bob · ❌ *dirty* (its last apply failed) · no noop recorded · 🔒 locked by @alice (kernel upgrade), 1h left',
        '• *db1* v2.0 (1111111) · applied 14:30 UTC (30m ago) by @bob · clean · no noop recorded',
        '• *db2* ⚠️ could not read what it runs: connection refused · no noop recorded',
      ].join('\n'),
    );
  });
});
