import { describe, expect, it } from 'vitest';
import { toHomeView } from '../../src/bot/render/blocks.js';
import { HOME_LIMITS, homeMessage } from '../../src/commands/views/home.js';
import { ownerGroupsMessage, ownerPingMessage } from '../../src/commands/views/owner-ping.js';
import type { HomeFacts } from '../../src/engine/home/facts.js';
import type { PermadiffGroup } from '../../src/engine/permadiffs/state.js';
import type { AuditEntry } from '../../src/engine/review/records.js';
import { textOf } from '../support/review-world.js';
import { expectHarmless } from './views/hostile-check.js';
import {
  buildRecord,
  H,
  HOSTILE,
  heldLock,
  resource,
  reviewRecord,
  runningRecord,
} from './views/hostile-records.js';

/** The dashboard's text form, its limits against hostile and huge facts, and its pointers. */

const permadiff = (i: number): PermadiffGroup => ({
  hash: `h${i}`,
  resource: resource(`${H}${i}`),
  sources: [],
  nodes: [`${H}-${i}`],
  streaks: { firstSeen: [0], lastSeen: [0], streak: [3] },
  firstSeen: 0,
  lastSeen: 0,
  since: 0,
  owners: [{ owners: ['U0BOB'], unmapped: [], source: 'file', of: H }],
});

const decision = (i: number): AuditEntry => ({
  at: i * 60_000,
  sha: 'a'.repeat(40),
  shortSha: H,
  user: 'U0BOB',
  action: i % 2 ? 'approve' : 'deny',
  reason: `${H}${'r'.repeat(5000)}`,
  via: 'button',
});

const many = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

const huge = (n: number): HomeFacts => ({
  user: 'U0BOB',
  awaiting: many(n, () => ({ ...reviewRecord(), subject: `${H}${'s'.repeat(10_000)}` })),
  applies: many(n, (i) => runningRecord({ id: i, revision: `${H}${'v'.repeat(3000)}` })),
  builds: many(n, (i) => buildRecord({ id: i, status: 'running' })),
  locks: many(n, (i) => ({ ...heldLock, node: `${H}${i}`, reason: `${H}${'x'.repeat(10_000)}` })),
  fleet: many(n, (i) => ({
    sha: `${i}`.padStart(40, 'f'),
    names: [H, `${H}${'t'.repeat(5000)}`],
    nodes: many(300, (k) => `node${i}-${k}`),
    dirty: [`${H}`],
    locked: [`${H}`],
  })),
  permadiffs: many(n, permadiff),
  decisions: many(n, decision),
  has: { fleet: true, builds: true },
});

const text = (facts: HomeFacts) => textOf(homeMessage()(facts));

describe('the dashboard', () => {
  it.each([1, 12, 400])('with %i of everything stays within one home view', (n) => {
    const view = toHomeView(homeMessage()(huge(n)));
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    // Nothing was cut by the renderer: the view has no "more part(s) do not fit" pointer of its own.
    expect(JSON.stringify(view)).not.toContain('do not fit here');
  });

  it('points at the command that lists what it leaves out', () => {
    const shown = text(huge(400));
    expect(shown).toContain(`…and ${400 - HOME_LIMITS.awaiting} more commits: \`/heckler pending\``);
    expect(shown).toContain(`…and ${400 - HOME_LIMITS.locks} more locks: \`/heckler locks\``);
    expect(shown).toContain(`…and ${400 - HOME_LIMITS.builds} more builds: \`/heckler builds\``);
    expect(shown).toContain(`…and ${400 - HOME_LIMITS.permadiffs} more permadiffs: \`/heckler permadiffs\``);
    expect(shown).toContain(`…and ${400 - HOME_LIMITS.decisions} more entries: \`/heckler audit\``);
  });

  it('shows hostile subjects, reasons, names and titles as text, never as tokens', () => {
    // Every mrkdwn text of the view (plain_text, as in confirm titles, never makes a token).
    const texts: string[] = [];
    JSON.stringify(toHomeView(homeMessage()(huge(3))), (_key, value: unknown) => {
      const node = value as { type?: unknown; text?: unknown };
      if (node && node.type === 'mrkdwn' && typeof node.text === 'string') texts.push(node.text);
      return value;
    });
    const mrkdwn = texts.join('\n');
    for (const raw of HOSTILE.slice(0, 4)) expect(mrkdwn).not.toContain(raw);
    expect(mrkdwn).toContain('&lt;!channel&gt;');
  });

  it('says so plainly when there is nothing, and shows only what the bot runs', () => {
    const empty: HomeFacts = {
      user: 'U0BOB',
      awaiting: [],
      applies: [],
      builds: [],
      locks: [],
      fleet: [],
      permadiffs: [],
      decisions: [],
      has: { fleet: true, builds: false },
    };
    expect(text(empty)).toBe(
      [
        'Heckler',
        'For <@U0BOB> · `/heckler home` shows this anywhere · `/heckler help` lists every command',
        '---',
        '*Waiting for your approval* (0)',
        'Nothing waits for you.',
        '---',
        '*Applies running*\n_No apply is running._',
        '---',
        '*Your locks*\n_You hold no node lock._',
        '---',
        '*The fleet by revision*\n_No node is configured._',
        '---',
        '*Your permadiffs*\n_No permadiff of yours._',
        '---',
        '*Your recent decisions*\n_You have decided nothing yet._',
      ].join('\n'),
    );
  });

  it('a waiting commit carries Approve and Deny', () => {
    const facts = huge(1);
    const shown = text({ ...facts, awaiting: [reviewRecord()] });
    expect(shown).toMatch(/\[Approve: approve a{40}@\w{12}\] \[Deny: deny a{40}@\w{12}\]/);
  });
});

describe('the hostile-text contract (test/commands/views/hostile-check.ts)', () => {
  it('the dashboard', () => expectHarmless(homeMessage()(huge(3))));
  it("an owner's ping and the group mention", () => {
    const record = { ...reviewRecord(), subject: H };
    expectHarmless(ownerPingMessage()({ record, user: 'U0BOB', groups: [0], other: [H], reminder: false }));
    expectHarmless(ownerGroupsMessage({ record, groups: [], reminder: true }));
  });
});
