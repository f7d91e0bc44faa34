import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReviewWorld, startReviewWorld, textOf } from '../support/review-world.js';

/**
 * Review integrity, scenario 4: an approval covers the nodes that produced a noop. A node whose
 * noop failed is not reviewed there: the message says how many nodes the approval covers, an
 * apply to that node is blocked unless an admin forces it (and the audit log says so), and a
 * review in which no node produced a noop offers nothing to approve.
 */
let world: ReviewWorld;

/** A disk gone read-only, the classic: the node answers, but nothing can be synced or run there. */
const readOnly = (node: string, on: boolean) =>
  world.fleet.ssh(world.fleet.node(node), `mount -o remount,bind,${on ? 'ro' : 'rw'} /data`);

const planText = (id: number) => {
  const plan = world.chat.events.filter(
    (e) => e.kind === 'post' && e.message.text.startsWith(`Apply plan #${id}:`),
  )[0];
  if (plan?.kind !== 'post') throw new Error(`no plan #${id}`);
  const updates = world.chat.events.filter((e) => e.kind === 'update' && e.ref.ts === plan.ref.ts);
  const latest = updates.at(-1);
  return { ref: plan.ref, text: textOf(latest?.kind === 'update' ? latest.message : plan.message) };
};

const lastPlanId = () => {
  const plans = world.chat.events.flatMap((e) =>
    e.kind === 'post' ? [/^Apply plan #(\d+):/.exec(e.message.text)?.[1]] : [],
  );
  return Number(plans.filter(Boolean).at(-1));
};

beforeAll(async () => {
  world = await startReviewWorld();
}, 180_000);

afterAll(async () => {
  for (const node of ['node1', 'node2', 'node3']) await readOnly(node, false).catch(() => undefined);
  await world?.close();
});

describe('a review in which no node produced a noop', { timeout: 180_000 }, () => {
  it('has no Approve button, says what to fix, and refuses a typed approval', async () => {
    for (const node of ['node1', 'node2', 'node3']) await readOnly(node, true);
    const sha = world.repo.commits.coauthored;
    await world.dispatch('U0NOBODY', `noop ${sha}`).finally(async () => {
      for (const node of ['node1', 'node2', 'node3']) await readOnly(node, false);
    });
    const { text, message } = world.messageOf(sha);
    expect(text).toContain('0 nodes would change · 0 unchanged · 3 failed · 0 unreachable');
    expect(text).toMatch(/failed on node1 \(not reviewed there\): .*Read-only file system/);
    expect(text).toContain('No node produced a noop');
    expect(text).toContain(`run \`/heckler noop ${sha.slice(0, 7)}\` again`);
    const labels = message.blocks.flatMap((b) => (b.kind === 'actions' ? b.buttons.map((x) => x.label) : []));
    expect(labels).toEqual(['Deny']);
    expect(await world.dispatch('U0ADMIN', `approve ${sha}`)).toContain(
      `no node produced a noop of ${sha.slice(0, 7)}: there is nothing reviewed to approve`,
    );
    expect((await world.composed.reviews.get(sha))?.decisions).toEqual([]);
    expect(await world.dispatch('U0NOBODY', 'pending')).toContain('a noop that works on some node');
    // Fixed: the same command noops again where it failed, and the Approve button comes back.
    await world.dispatch('U0NOBODY', `noop ${sha}`);
    expect(world.messageOf(sha).text).toContain('[Approve: approve');
    expect(world.messageOf(sha).text).toContain('An approval covers all 3 nodes nooped.');
  });
});

describe('an approval given while one node could not be nooped', { timeout: 240_000 }, () => {
  it('says it covers 2 of 3 nodes', async () => {
    await readOnly('node3', true);
    const sha = world.repo.commits.feature;
    await world.dispatch('U0NOBODY', `noop ${sha}`);
    const { text } = world.messageOf(sha);
    expect(text).toContain('2 nodes would change');
    expect(text).toContain('An approval covers 2 of 3 nodes');
    expect(text).toMatch(/on node3 \(not reviewed there\): /);
    expect(await world.dispatch('U0ADMIN', `approve ${sha}`)).toMatch(/^approved /);
  });

  it('blocks an apply to the node it does not cover, naming the node and why', async () => {
    const sha = world.repo.commits.feature;
    await world.dispatch('U0ALICE', `apply ${sha.slice(0, 7)}`);
    const id = lastPlanId();
    const { text } = planText(id);
    expect(text).toContain('— blocked');
    expect(text).toMatch(
      new RegExp(`\`${sha.slice(0, 7)}\` .* — not reviewed on node3: (noop failed|unreachable): `),
    );
    expect(text).not.toContain('[Confirm');
    expect(await world.dispatch('U0ALICE', `confirm ${id}`)).toMatch(/is blocked/);
  });

  it('an admin’s --force applies there anyway; the plan says so and the audit log records it', async () => {
    const sha = world.repo.commits.feature;
    expect(await world.dispatch('U0ALICE', `apply ${sha.slice(0, 7)} --force`)).toMatch(
      /needs the admin role/,
    );
    await world.dispatch('U0ADMIN', `apply ${sha.slice(0, 7)} --force`);
    const id = lastPlanId();
    const { text, ref } = planText(id);
    expect(text).not.toContain('— blocked');
    expect(text).toMatch(/--force\*: applied where no review covers it/);
    expect(text).toMatch(new RegExp(`\`${sha.slice(0, 7)}\` .* — not reviewed on node3: `));
    await readOnly('node3', false);
    expect(
      await world.dispatch('U0ADMIN', `confirm ${id}`, {
        source: ref,
        origin: { surface: 'terminal', osUser: 'ada' },
      }),
    ).toMatch(/confirmed/);
    await world.composed.applies.idle();
    const audit = await world.dispatch('U0NOBODY', `audit ${sha.slice(0, 7)}`);
    expect(audit).toMatch(
      new RegExp(
        `<@U0ADMIN> forced an apply past blockers of \`${sha.slice(0, 7)}\`: apply #${id} to node3 \\((noop failed|unreachable): .*\\), not reviewed there \\(command, from the terminal as OS user ada`,
      ),
    );
  });
});
