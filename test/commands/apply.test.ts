import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { ComposedFleet } from '../../src/compose/fleet.js';
import type { Message, MessageRef } from '../../src/engine/ports/index.js';
import { reviewStatus } from '../../src/engine/review/records.js';
import type { Storage } from '../../src/storage/keyv.js';
import { applyChat, textOf } from '../engine/apply/chat-view.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { type Fleet, startFleet } from '../support/fleet.js';
import { captureLogger } from '../support/logger.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../support/puppet-repo.js';

/**
 * `/heckler apply` end to end on three SSH nodes with real Puppet, Redis for records and locks, and
 * approvals given through the review service. One fleet moves through the file in order:
 * all on v1 → the hotfix v1.1 on node1 (node2 locked meanwhile) → v2 everywhere (node1 rolled back
 * by an admin's --force) → a tag where node3 fails to compile → node3 rolled back to v2.
 */
const CHANNEL = 'CAPPLY';
let fleet: Fleet;
let repo: PuppetRepoFixture;
let app: HecklerApp;
let storage: Storage;
let composed: ComposedFleet;
let chat: RecordingChat;
let skew = 0;
const clock = { now: () => Date.now() + skew };
let ask: (user: string, line: string, source?: MessageRef) => Promise<string>;
/** Like `ask`, but the answers' whole text (every block), not their fallback text. */
let askFull: (user: string, line: string) => Promise<string>;
const view = () => applyChat(chat.events, CHANNEL);
const short = (sha: string) => sha.slice(0, 7);

const users = { U0ADMIN: 'ada', U0APPLIER: 'abe', U0BOB: 'bob', U0ALICE: 'alice', U0NOBODY: 'nob' };

/** Reviews each commit against the fleet as it is now and approves what waits (as the admin, who wrote none). */
const approve = async (...shas: string[]) => {
  for (const sha of shas) {
    const record = await composed.reviews.review(sha);
    if (reviewStatus(record) === 'approved' || reviewStatus(record) === 'auto_approved') continue;
    await composed.reviews.decide({
      sha,
      user: 'U0ADMIN',
      roles: new Set(['admin']),
      verdict: 'approve',
      via: 'command',
    });
  }
};

const appliedOn = async (node: string) => {
  const [spec] = await composed.service.select({ nodes: [node] });
  if (!spec) throw new Error(`no ${node}`);
  const [read] = await composed.service.applied([spec]);
  return read?.ok && read.value.ok ? read.value.state : undefined;
};
const file = (node: string, path: string) => readFileSync(join(fleet.node(node).dataDir, path), 'utf8');

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-apply-'));
  [fleet, repo] = await Promise.all([startFleet({ nodes: 3 }), createPuppetRepo(join(dir, 'repo'))]);
  // The mirror follows main and tags: a tag makes the branch where node3 fails reachable.
  execFileSync('git', ['-C', repo.path, 'tag', 'v2-node3', repo.commits.brokenNode3]);
  const config = testConfig(
    {
      users,
      roles: { admins: ['U0ADMIN'], appliers: ['U0APPLIER', 'U0BOB'], approvers: [] },
      repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, 'mirror') },
      puppet: { args: ['--vardir', '/data/puppet/var', '--confdir', '/data/puppet/conf'] },
      fleet: {
        workDir: '/data/heckler',
        ssh: { key: fleet.privateKeyPath, knownHosts: fleet.knownHostsPath, concurrency: 10 },
        nodes: Object.fromEntries(
          fleet.nodes.map((n) => [n.name, { host: n.host, port: n.port, certname: n.certname }]),
        ),
        sets: { canaries: { nodes: ['node2', 'node3'] } },
        applyOrder: ['canaries', 'all'],
      },
      approvals: {
        owners: { '@alice': 'U0ALICE', '@bob': 'U0BOB', '@carol': 'U0CAROL' },
        people: {
          'alice@example.com': 'U0ALICE',
          'bob@example.com': 'U0BOB',
          'carol@example.com': 'U0CAROL',
        },
      },
      apply: { channel: CHANNEL, concurrency: 2, failureThreshold: 0, lockTtl: '30s' },
      storage: { dataDir: join(dir, 'data'), keyPrefix: `apply-${randomUUID().slice(0, 8)}` },
    },
    // Records and locks in Redis, as replicas share them.
    { secrets: { redisUrl: inject('redisUrl') } },
  );
  const { logger } = captureLogger();
  chat = new RecordingChat();
  app = await composeApp(config, { chat, clock, logger, scheduler: false, version: 'test' });
  if (!app.fleet) throw new Error('no fleet');
  composed = app.fleet;
  storage = app.storage;
  const { dispatcher } = app;
  ask = async (user, line, source) => {
    const answers: Message[] = [];
    await dispatcher.dispatch({
      text: line,
      user,
      channel: 'C1',
      respond: async (m) => void answers.push(m),
      ...(source ? { source } : {}),
    });
    return answers.map((m) => m.text).join('\n');
  };
  askFull = async (user, line) => {
    const answers: Message[] = [];
    await dispatcher.dispatch({
      text: line,
      user,
      channel: 'C1',
      respond: async (m) => void answers.push(m),
    });
    return answers.map(textOf).join('\n');
  };
  const applied = await composed.service.runSha(
    repo.commits.motdChange,
    composed.service.nodes(),
    'apply',
    'U0ADMIN',
  );
  if (applied.some((run) => !run.reached)) throw new Error('could not apply v1 to the test fleet');
}, 120_000);

afterAll(async () => {
  await app?.stop({ graceMs: 1_000 });
  await fleet?.stop();
});

describe('a plan with commits not approved for the fleet as it is', () => {
  it('is blocked while the hotfix is not nooped, then while it waits for its owner, then while denied', async () => {
    const hot = short(repo.commits.hotfix);
    expect(await ask('U0APPLIER', 'apply v1.1 --nodes node1,node2')).toMatch(
      // Named in words: the renderer lets no channel token (`<#C…>`) through.
      /plan #1 \(node\{1,2\}\) is in the apply channel, CAPPLY/,
    );
    let plan = view().message(1);
    expect(plan).toContain('Apply plan #1: v1.1 on 2 nodes — blocked');
    expect(plan).toMatch(/\*node\{1,2\}\* on v1 \([0-9a-f]{7}\) → brings 1 commit/);
    expect(plan).toContain(
      `\`${hot}\` motd: announce maintenance — not yet nooped: \`/heckler noop ${hot}\` reviews it`,
    );
    expect(plan).toContain(
      'This plan cannot be confirmed. Once every commit above is approved, run `/heckler apply v1.1` again.',
    );
    expect(plan).not.toContain('[Confirm');
    expect(await ask('U0APPLIER', 'confirm 1')).toMatch(/plan #1 is blocked: 1 commit is not approved/);

    await composed.reviews.review(repo.commits.hotfix);
    await ask('U0APPLIER', 'apply v1.1 --nodes node1,node2');
    plan = view().message(2);
    expect(plan).toContain(
      `\`${hot}\` motd: announce maintenance — waiting for approval from <@U0ALICE> (or an approver or admin)`,
    );

    await composed.reviews.decide({
      sha: repo.commits.hotfix,
      user: 'U0ALICE',
      roles: new Set(),
      verdict: 'deny',
      reason: 'not tonight',
      via: 'command',
    });
    await ask('U0APPLIER', 'apply v1.1 --nodes node1,node2');
    expect(view().message(3)).toContain(
      `— denied by <@U0ALICE>: not tonight (a typed \`/heckler approve ${hot}\` overturns it)`,
    );
  }, 120_000);

  it('an unknown revision is a clear error, and --force needs an admin', async () => {
    expect(await ask('U0APPLIER', 'apply v9')).toMatch(/unknown revision 'v9'/);
    expect(await ask('U0APPLIER', 'apply v1.1 --force')).toMatch(/`apply --force` needs the admin role/);
    expect(await ask('U0NOBODY', 'apply v1.1')).toMatch(/`apply` needs the applier role/);
  });
});

describe('the hotfix tag v1.1 on nodes at v1, racing a manual lock', () => {
  it('skips and reports the node locked after the plan, applies the other, and releases its locks', async () => {
    await composed.reviews.decide({
      sha: repo.commits.hotfix,
      user: 'U0ALICE',
      roles: new Set(),
      verdict: 'approve',
      via: 'command',
    });
    await ask('U0APPLIER', 'apply v1.1 --nodes node1,node2');
    const id = view().lastPlan();
    const plan = view().message(id);
    expect(plan).toContain(
      `\`${short(repo.commits.hotfix)}\` motd: announce maintenance — Carol Cooper · approved by <@U0ALICE>`,
    );
    expect(plan).toContain(`[Confirm: confirm ${id}] [Cancel: cancel ${id}]`);
    expect(plan).toMatch(/Confirm by \d\d:\d\d UTC \(10m left\)/);

    expect(await ask('U0BOB', 'lock node2 maintenance')).toBe('');
    expect(await ask('U0APPLIER', `confirm ${id}`, view().ref(id))).toMatch(
      /confirmed: applying v1.1 to 1 nodes/,
    );
    // A second click is harmless.
    expect(await ask('U0BOB', `confirm ${id}`)).toMatch(
      new RegExp(`apply #${id} was already confirmed by <@U0APPLIER>`),
    );
    await composed.applies.idle();

    expect(file('node1', 'motd')).toContain('Maintenance tonight at 22:00 UTC.');
    expect(file('node2', 'motd')).not.toContain('Maintenance');
    expect(await appliedOn('node1')).toMatchObject({
      revision: repo.commits.hotfix,
      outcome: 'ok',
      dirty: false,
      by: 'U0APPLIER',
    });
    const progress = view().message(id);
    expect(progress).toContain(`Apply #${id}: v1.1 — passed`);
    expect(progress).toContain(`apply v1.1 #${id} — all 1/1 ✓`);
    expect(progress).toContain('*node2* locked by <@U0BOB> (maintenance)');
    expect(view().thread(id)).toEqual([
      expect.stringMatching(/^:lock: Skipped 1 locked node:\n• \*node2\* locked by <@U0BOB> \(maintenance\)/),
      expect.stringMatching(/^:white_check_mark: \*all\* done: all 1\/1 ✓ in \d/),
    ]);
    expect(view().summary(id)).toMatch(
      new RegExp(
        `^:white_check_mark: apply v1.1 #${id} passed: 1 of 1 node applied, 1 skipped \\(locked\\) — all 1/1 ✓ in \\S+; \\S+ in all`,
      ),
    );
    expect((await storage.locks.list()).map((lock) => lock.key)).toEqual(['node:node2']);
    await ask('U0BOB', 'unlock node2');
  }, 120_000);
});

describe('v1 → v2 directly, and a rollback', () => {
  it('refuses v2 on a node running the hotfix, says why, and only an admin may force it', async () => {
    expect(await ask('U0APPLIER', 'apply v2')).toMatch(
      /v2 does not descend from what this node runs: applying it would roll changes back\.\nnode1 runs v1\.1 \([0-9a-f]{7}\): v2 would take away 1 commit it has/,
    );
    expect(await ask('U0APPLIER', 'apply v2 --force')).toMatch(/needs the admin role/);
  });

  it('an admin forces it: node2 and node3 go from v1 to v2 without stopping at a tag in between, node1 is rolled back', async () => {
    const v2 = [
      repo.commits.feature,
      repo.commits.merge,
      repo.commits.coauthored,
      repo.commits.owners,
      repo.commits.broken,
      repo.commits.fixed,
    ];
    await approve(...v2);
    await ask('U0ADMIN', 'apply v2 --force');
    const id = view().lastPlan();
    const plan = view().message(id);
    expect(plan).toContain(`Apply plan #${id}: v2 on 3 nodes`);
    expect(plan).toMatch(/\*node\{2,3\}\* on v1 \([0-9a-f]{7}\) → brings 6 commits/);
    expect(plan).toMatch(
      /\*node1\* on v1\.1 \([0-9a-f]{7}\) → \*rolled back\* \(--force\): takes away 1 commit, brings 6 commits/,
    );
    expect(plan).toContain(':warning: --force: node1 will be rolled back');
    expect(plan).toContain('*Commits* (6, oldest first)');
    expect(await ask('U0APPLIER', `confirm ${id}`, view().ref(id))).toMatch(/confirmed/);
    await composed.applies.idle();

    for (const node of ['node1', 'node2', 'node3']) {
      expect(await appliedOn(node)).toMatchObject({ revision: repo.commits.fixed, dirty: false });
      expect(file(node, 'motd')).toContain(`This is ${node}.example.com.`);
    }
    expect(file('node2', 'canary')).toContain('This node gets changes first.');
    expect(view().message(id)).toContain(`apply v2 #${id} — canaries 2/2 ✓, all 1/1 ✓`);
    expect(view().updates(id).length).toBeGreaterThanOrEqual(2);
    expect(view().thread(id)).toEqual([
      expect.stringMatching(/^:white_check_mark: \*canaries\* done: canaries 2\/2 ✓ in/),
      expect.stringMatching(/^:white_check_mark: \*all\* done: all 1\/1 ✓ in/),
    ]);
    expect(view().summary(id)).toMatch(
      /passed: 3 of 3 nodes applied — canaries 2\/2 ✓ in \S+, all 1\/1 ✓ in \S+; \S+ in all/,
    );
    expect(await storage.locks.list()).toEqual([]);
  }, 240_000);
});

describe('a node whose apply fails', () => {
  it('is reported and marked dirty, the others in its set complete, and the threshold stops the next set', async () => {
    await approve(repo.commits.brokenNode3);
    await ask('U0APPLIER', 'apply v2-node3');
    const id = view().lastPlan();
    expect(await ask('U0APPLIER', `confirm ${id}`)).toMatch(/confirmed/);
    await composed.applies.idle();

    expect(await appliedOn('node3')).toMatchObject({
      revision: repo.commits.brokenNode3,
      outcome: 'failed',
      dirty: true,
    });
    expect(await appliedOn('node2')).toMatchObject({ revision: repo.commits.brokenNode3, dirty: false });
    expect(file('node2', 'webapp/app.conf')).toContain('workers = 8');
    expect(await appliedOn('node1')).toMatchObject({ revision: repo.commits.fixed });
    const progress = view().message(id);
    expect(progress).toContain(`Apply #${id}: v2-node3 — failed`);
    expect(progress).toContain(`apply v2-node3 #${id} — canaries 1/2 ✓ 1 ✗, all not run`);
    expect(progress).toMatch(/\*node3\* does not compile after \S+: .*webapp does not support .* yet/);
    expect(progress).toContain('stopped after 1 failure in canaries (the threshold is 0)');
    const thread = view().thread(id);
    expect(thread[0]).toMatch(
      /^:x: \*node3\* does not compile .*\nnode3 is marked dirty until an apply succeeds\./s,
    );
    expect(thread[1]).toMatch(/^:warning: \*canaries\* done: canaries 1\/2 ✓ 1 ✗/);
    expect(view().summary(id)).toMatch(
      new RegExp(`^:x: apply v2-node3 #${id} failed: 1 of 3 nodes applied, 1 failed \\(node3\\), 1 not run`),
    );
  }, 180_000);
});

describe('two applies on the same nodes', () => {
  it('the second is refused naming the apply that holds them; the first rolls node3 back to v2', async () => {
    await ask('U0ADMIN', 'apply v2 --nodes node3 --force');
    const first = view().lastPlan();
    await ask('U0ADMIN', 'apply v2 --nodes node3 --force');
    const second = view().lastPlan();
    expect(view().message(second)).toMatch(
      /\*node3\* on v2-node3 \([0-9a-f]{7}\) \(dirty\) → \*rolled back\* \(--force\): takes away 1 commit/,
    );
    expect(await ask('U0APPLIER', `confirm ${first}`)).toMatch(/confirmed/);
    expect(await ask('U0BOB', `confirm ${second}`)).toMatch(
      new RegExp(
        `plan #${second} overlaps apply #${first}, which holds:\\nnode3: locked by heckler:apply#${first} \\(apply v2 by <@U0APPLIER>\\)`,
      ),
    );
    await composed.applies.idle();
    expect(await appliedOn('node3')).toMatchObject({ revision: repo.commits.fixed, dirty: false });
    expect(file('node3', 'webapp/app.conf')).toContain('workers = 4');
    // Its plan still stands until it expires, but the fleet has moved: confirming now says so.
    expect(await ask('U0BOB', `confirm ${second}`)).toMatch(/the fleet changed after plan #\d+ was made/);
  }, 120_000);
});

describe('confirm and cancel rules', () => {
  it('a confirm after the time limit is refused, and the plan says it expired', async () => {
    await ask('U0ADMIN', 'apply v1 --nodes node3 --force');
    const id = view().lastPlan();
    const planned = await composed.applies.get(id);
    skew = 11 * 60_000;
    try {
      expect(await ask('U0APPLIER', `confirm ${id}`)).toBe(
        `plan #${id} expired at ${new Date(planned?.expiresAt ?? 0).toISOString().slice(11, 16)}\nrun \`/heckler apply v1\` again`,
      );
    } finally {
      skew = 0;
    }
    expect(view().message(id)).toMatch(
      /:hourglass_flowing_sand: Plan #\d+ expired at \d\d:\d\d UTC without a confirm/,
    );
    expect(view().message(id)).not.toContain('[Confirm');
    expect((await appliedOn('node3'))?.revision).toBe(repo.commits.fixed);
  });

  it('only the requester or an admin drops a plan; a dropped plan cannot be confirmed', async () => {
    await ask('U0APPLIER', 'apply v2-node3 --nodes node1');
    const id = view().lastPlan();
    expect(await ask('U0BOB', `cancel ${id}`)).toMatch(
      new RegExp(`only <@U0APPLIER>, who asked for apply #${id}, or an admin may cancel it`),
    );
    expect(await ask('U0APPLIER', `cancel ${id}`)).toBe(`plan #${id} dropped`);
    expect(view().message(id)).toMatch(/:no_entry_sign: Dropped by <@U0APPLIER> at \d\d:\d\d UTC\./);
    expect(await ask('U0APPLIER', `confirm ${id}`)).toMatch(
      new RegExp(`plan #${id} was cancelled by <@U0APPLIER>`),
    );
  }, 60_000);
});

describe('/heckler status', () => {
  it('shows a summary line and, per node, what it runs with names, when, clean or dirty, its lock and last noop', async () => {
    await ask('U0BOB', 'lock node1 kernel upgrade');
    const answer = await ask('U0NOBODY', 'status');
    expect(answer).toMatch(/^3 nodes: 2 on v2, 1 on v2-node3; 1 locked$/m);
    const text = await askFull('U0NOBODY', 'status node1,canaries');
    expect(text).toMatch(/^3 nodes: 2 on v2, 1 on v2-node3; 1 locked$/m);
    expect(text).toMatch(
      /• \*node1\* v2, main \([0-9a-f]{7}\) · applied \d\d:\d\d UTC \(\S+ ago\) by <@U0APPLIER> · clean · last noop \S+ ago \([0-9a-f]{7}\) · :lock: locked by <@U0BOB> \(kernel upgrade\)/,
    );
    expect(text).toMatch(/• \*node2\* v2-node3 \([0-9a-f]{7}\) · applied .* · clean/);
    expect(text).toMatch(/• \*node3\* v2, main \([0-9a-f]{7}\) · applied .* by <@U0APPLIER> · clean/);
    await ask('U0BOB', 'unlock node1');
  }, 60_000);
});
