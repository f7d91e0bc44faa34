import { describe, expect, it } from 'vitest';
import { toBlockKit } from '../../src/bot/render/blocks.js';
import { ownerGroupsMessage, ownerPingMessage } from '../../src/commands/views/owner-ping.js';
import { approvalsSchema } from '../../src/config/approvals-schema.js';
import { groupDeltas } from '../../src/engine/delta/index.js';
import { buildDigest } from '../../src/engine/permadiffs/digest.js';
import { createOwnerPings, type PingRecord } from '../../src/engine/review/owner-pings.js';
import { pingTargets, reminderDue, wallClock } from '../../src/engine/review/ping-targets.js';
import type { ReviewRecord } from '../../src/engine/review/records.js';
import { groupOwner } from '../../src/engine/text/mrkdwn.js';
import { createMemoryStore } from '../../src/storage/memory-store.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { captureLogger } from '../support/logger.js';
import { textOf } from '../support/review-world.js';
import { change, INFRA, record } from './owner-pings-fixture.js';
import { H } from './views/hostile-records.js';

/** Owner pings as pure rules and as a service over a store that two replicas share. */

const UTC_0930 = Date.parse('2026-12-02T09:30:00Z');
const rules = { afterMs: 4 * 3_600_000, hours: { from: 9, to: 17 }, timeZone: 'UTC' };

const world = (clockAt = UTC_0930, store = createMemoryStore<PingRecord>()) => {
  const chat = new RecordingChat();
  const clock = { at: clockAt, now: () => clock.at };
  let waiting: ReviewRecord[] = [];
  const pings = createOwnerPings({
    chat,
    store,
    clock,
    logger: captureLogger().logger,
    views: { owner: ownerPingMessage(), groups: ownerGroupsMessage },
    pending: async () => waiting,
    reminders: rules,
    permalink: chat.permalink.bind(chat),
  });
  return {
    chat,
    clock,
    pings,
    store,
    waitOn: (list: ReviewRecord[]) => {
      waiting = list;
    },
    directs: () => chat.events.filter((e) => e.kind === 'direct'),
    replies: () => chat.events.filter((e) => e.kind === 'reply'),
  };
};

describe('who a review pings', () => {
  it('each owner with the groups that are theirs, user groups apart, never the author', () => {
    const targets = pingTargets(record({ authors: ['U0ERIN'] }));
    expect([...targets.users.keys()].sort()).toEqual(['U0ALICE', 'U0BOB']);
    expect(targets.groups).toEqual(['S0INFRA']);
    expect(targets.users.get('U0ALICE')).toHaveLength(1);
    expect(targets.users.get('U0ALICE')).not.toEqual(targets.users.get('U0BOB'));
  });

  it('nobody for a decided or auto-approved review', async () => {
    const w = world();
    const approved = record();
    approved.decisions = [
      {
        verdict: 'approve',
        user: 'U0BOB',
        at: 0,
        commit: approved.sha,
        deltaHash: approved.deltaHash,
        via: 'button',
      },
    ];
    await w.pings.onReview(approved);
    await w.pings.onReview(record({ grouped: groupDeltas([], { ignored: [] }) }));
    expect(w.chat.events).toEqual([]);
  });

  it('an owner id that is not a user id (a hostile config value) is never messaged', () => {
    const targets = pingTargets(
      record({ groupOwners: [{ owners: [H, 'subteam^nope', 'U0BOB'], unmapped: [], source: 'file' }] }),
    );
    expect([...targets.users.keys()]).toEqual(['U0BOB']);
    expect(targets.groups).toEqual([]);
  });
});

describe('pinging', () => {
  it('one private message per owner with their changes and the buttons; the group mentioned in the thread', async () => {
    const w = world();
    await w.pings.onReview(record());
    const directs = w.directs();
    expect(directs.map((d) => d.kind === 'direct' && d.user).sort()).toEqual(['U0ALICE', 'U0BOB', 'U0ERIN']);
    const alice = directs.find((d) => d.kind === 'direct' && d.user === 'U0ALICE');
    const text = alice?.kind === 'direct' ? textOf(alice.message) : '';
    expect(text).toContain(':wave: Waiting for your review: `aaaaaaa` motd and webapp');
    expect(text).toContain('• `File[/data/motd]` (modules/motd/init.pp:1) on node{1,2}');
    expect(text).not.toContain('/data/app.conf');
    expect(text).toMatch(/\[Approve: approve a{40}@\w+\] \[Deny: deny a{40}@\w+\]/);
    expect(text).toContain('<https://chat.test/archives/CREVIEW/p1000|Open the review>');
    const replies = w.replies();
    expect(replies).toHaveLength(1);
    expect(replies[0]?.kind === 'reply' && replies[0].message.text).toContain('<!subteam^S0INFRA>');
    expect(replies[0]?.kind === 'reply' && replies[0].thread).toEqual({ channel: 'CREVIEW', ts: '1.000' });
  });

  it('a review shown again (re-nooped, decided elsewhere, restarted bot) pings nobody twice', async () => {
    const store = createMemoryStore<PingRecord>();
    const first = world(UTC_0930, store);
    await first.pings.onReview(record());
    // Another replica, or this bot after a restart: the same store.
    const second = world(UTC_0930 + 60_000, store);
    await Promise.all([second.pings.onReview(record()), first.pings.onReview(record())]);
    expect(first.directs()).toHaveLength(3);
    expect(second.directs()).toHaveLength(0);
    expect(first.replies().length + second.replies().length).toBe(1);
  });

  it('two replicas racing on a new review send each ping once between them', async () => {
    const store = createMemoryStore<PingRecord>();
    const a = world(UTC_0930, store);
    const b = world(UTC_0930, store);
    await Promise.all([a.pings.onReview(record()), b.pings.onReview(record())]);
    const users = [...a.directs(), ...b.directs()].map((d) => d.kind === 'direct' && d.user).sort();
    expect(users).toEqual(['U0ALICE', 'U0BOB', 'U0ERIN']);
  });

  it('an owner added by a later delta gets their ping; the others do not get another', async () => {
    const w = world();
    await w.pings.onReview(record({ groupOwners: [{ owners: ['U0ALICE'], unmapped: [], source: 'file' }] }));
    await w.pings.onReview(record());
    expect(w.directs().map((d) => d.kind === 'direct' && d.user)).toEqual(['U0ALICE', 'U0BOB', 'U0ERIN']);
  });

  it('hostile subjects, paths and titles reach the DM escaped, and it fits one Slack message', async () => {
    const w = world();
    const hostile = record({ subject: `${H}${'x'.repeat(20_000)}` });
    const group = hostile.grouped.groups[0];
    if (group) group.resource = { ...group.resource, title: H.repeat(50), file: H.repeat(50) };
    await w.pings.onReview(hostile);
    for (const event of w.chat.events) {
      const message = event.kind === 'direct' || event.kind === 'reply' ? event.message : undefined;
      const text = message ? textOf(message) + message.text : '';
      expect(text).not.toMatch(/<!channel>|<!here>|<@U0ADMIN>|<https:\/\/evil/);
      if (message) expect(toBlockKit(message).overflow).toEqual([]);
    }
  });
});

describe('reminders', () => {
  it.each([
    ['09:30 the same morning', '2026-12-02T09:30:00Z', undefined, false],
    ['13:30, 4 h after', '2026-12-02T13:30:00Z', undefined, true],
    ['18:00, after hours', '2026-12-02T18:00:00Z', undefined, false],
    ['already reminded today', '2026-12-02T15:00:00Z', '2026-12-02', false],
    ['the next morning', '2026-12-03T09:00:00Z', '2026-12-02', true],
  ])('%s', (_, at, remindedOn, due) => {
    const ping = {
      pingedAt: UTC_0930,
      ...(remindedOn ? { remindedOn, remindedAt: Date.parse(`${remindedOn}T13:30:00Z`) } : {}),
    };
    const verdict = reminderDue(Date.parse(at), ping, {
      ...rules,
      afterMs: at.startsWith('2026-12-03') ? 60_000 : rules.afterMs,
    });
    expect(verdict.due).toBe(due);
  });

  it('reads the hours on the wall clock of the time zone', () => {
    expect(wallClock(Date.parse('2026-12-02T23:30:00Z'), 'Asia/Tokyo')).toEqual({
      day: '2026-12-03',
      hour: 8,
    });
    expect(wallClock(Date.parse('2026-07-01T07:00:00Z'), 'Europe/Berlin').hour).toBe(9);
  });

  it('re-pings the owners of a review still waiting once that day, across replicas', async () => {
    const store = createMemoryStore<PingRecord>();
    const a = world(UTC_0930, store);
    const b = world(UTC_0930, store);
    const waiting = record();
    a.waitOn([waiting]);
    b.waitOn([waiting]);
    await a.pings.onReview(waiting);
    expect(await a.pings.remind()).toBe(0);
    a.clock.at = b.clock.at = UTC_0930 + 4 * 3_600_000;
    const [fromA, fromB] = await Promise.all([a.pings.remind(), b.pings.remind()]);
    expect(fromA + fromB).toBe(1);
    const reminders = [...a.directs(), ...b.directs()].filter(
      (d) => d.kind === 'direct' && d.message.text.startsWith(':alarm_clock:'),
    );
    expect(reminders.map((d) => d.kind === 'direct' && d.user).sort()).toEqual([
      'U0ALICE',
      'U0BOB',
      'U0ERIN',
    ]);
    a.clock.at += 2 * 3_600_000;
    expect(await a.pings.remind()).toBe(0);
  });
});

describe('approvals.owners with user groups', () => {
  it('a team mapped to a user group is its users plus the group entry; bad ids name the problem', () => {
    const parsed = approvalsSchema.parse({
      owners: {
        '@org/infra': { usergroup: 'S0INFRA', users: ['U0BOB'] },
        '@org/ops': { usergroup: 'S0OPS' },
      },
    });
    expect(parsed.owners).toEqual({ '@org/infra': ['U0BOB', INFRA], '@org/ops': [groupOwner('S0OPS')] });
    expect(parsed.remindAfter).toBe(4 * 3_600_000);
    expect(parsed.remindHours).toEqual({ from: 9, to: 17 });
    const bad = approvalsSchema.safeParse({
      owners: { '@org/x': { usergroup: '<!channel>' } },
      remindHours: '17-9',
    });
    expect(bad.success).toBe(false);
    const messages = bad.error?.issues.map((issue) => issue.message).join('\n') ?? '';
    expect(messages).toContain('expected hours such as "9-17"');
  });
});

describe('the permadiff digest with a team mapped to a user group', () => {
  it('sends its owners their groups privately, and the group itself nothing', () => {
    const group = {
      hash: 'g1',
      resource: change('/data/motd', 'modules/motd/init.pp'),
      sources: [],
      nodes: ['node1'],
      streaks: { firstSeen: [0], lastSeen: [0], streak: [3] },
      firstSeen: 0,
      lastSeen: 0,
      since: 0,
      owners: [{ owners: ['U0BOB', INFRA], unmapped: [], source: 'module' as const, of: 'motd' }],
    };
    const result = buildDigest({
      now: 1,
      minRuns: 2,
      groups: [group],
      ignores: [],
      staleLocks: [],
      waiting: [],
      owners: { admins: ['U0ADMIN'] },
    });
    expect(result.owners.map((owner) => owner.user)).toEqual(['U0BOB']);
  });
});
