import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewStatus } from '../../src/engine/review/records.js';
import { type ReviewWorld, startReviewWorld } from '../support/review-world.js';

/**
 * Review integrity, scenario 3: an approval is bound to what the approver saw. The Approve button
 * carries the delta hash on show; a re-noop that changes the delta between render and click makes
 * the click a refusal, privately, with the current message's link; nothing is recorded.
 */
let world: ReviewWorld;

beforeAll(async () => {
  world = await startReviewWorld();
}, 180_000);

afterAll(async () => {
  await world?.close();
});

const buttonCommand = (sha: string, label: string) => {
  const { message } = world.messageOf(sha);
  for (const block of message.blocks)
    if (block.kind === 'actions') {
      const button = block.buttons.find((b) => b.label === label);
      if (button) return button.command;
    }
  throw new Error(`no ${label} button on ${sha}`);
};

describe('a click on a message whose delta changed since it was drawn', { timeout: 180_000 }, () => {
  it('is refused privately with the current message link, and nothing is recorded', async () => {
    const sha = world.repo.commits.coauthored;
    await world.dispatch('U0NOBODY', `noop ${sha}`);
    const shown = (await world.composed.reviews.get(sha))?.deltaHash ?? '';
    const approveClick = buttonCommand(sha, 'Approve');
    expect(approveClick).toBe(`approve ${sha}@${shown.slice(0, 12)}`);
    expect(buttonCommand(sha, 'Deny')).toBe(`deny ${sha}@${shown.slice(0, 12)}`);
    expect(world.messageOf(sha).text).toContain(`delta \`${shown.slice(0, 12)}\``);

    // Someone creates node2's canary by hand and marks the node dirty: its re-noop finds another delta.
    const path = '/data/heckler/state/applied.json';
    await world.fleet.ssh(
      world.fleet.node('node2'),
      `printf 'made by hand\\n' > /data/canary && sed -i 's/"dirty":false/"dirty":true/' ${path}`,
    );
    await world.composed.reviews.refreshStale();
    const current = await world.composed.reviews.get(sha);
    expect(current?.deltaHash).not.toBe(shown);
    expect(world.messageOf(sha).text).toContain('-made by hand');

    // The owner clicks the button of the message as it was drawn before the re-noop.
    const answer = await world.dispatch('U0CAROL', approveClick, { source: world.messageOf(sha).ref });
    expect(answer).toContain(
      `it showed delta ${shown.slice(0, 8)}, the current one is ${current?.deltaHash.slice(0, 8)}`,
    );
    expect(answer).toMatch(
      /read the current message \(<https:\/\/chat\.test\/archives\/CREVIEW\/p\d+\|[0-9a-f]{7}>\)/,
    );
    const after = await world.composed.reviews.get(sha);
    expect(after?.decisions).toEqual([]);
    expect(after && reviewStatus(after)).toBe('pending');
    expect(await world.dispatch('U0NOBODY', `audit ${sha.slice(0, 7)}`)).toBe('No decisions recorded.');
    // A stale deny click is refused the same way (deny with the reason typed, pinned to the old delta).
    expect(
      await world.dispatch('U0CAROL', `deny ${sha.slice(0, 7)}@${shown.slice(0, 12)} looks wrong`),
    ).toContain('the current one is');
  });

  it('the button of the current message approves, and the answer names the delta approved', async () => {
    const sha = world.repo.commits.coauthored;
    const current = (await world.composed.reviews.get(sha))?.deltaHash ?? '';
    const answer = await world.dispatch('U0CAROL', buttonCommand(sha, 'Approve'), {
      source: world.messageOf(sha).ref,
      origin: { surface: 'terminal', osUser: 'carol' },
    });
    expect(answer).toBe(`approved ${sha.slice(0, 7)} (delta ${current.slice(0, 8)})`);
    const record = await world.composed.reviews.get(sha);
    expect(record?.decisions.map((d) => [d.user, d.deltaHash])).toEqual([['U0CAROL', current]]);
    // The audit log says where the click came from: the terminal, and which OS user ran it.
    expect(await world.dispatch('U0NOBODY', `audit ${sha.slice(0, 7)}`)).toContain(
      `<@U0CAROL> approved \`${sha.slice(0, 7)}\` (button, from the terminal as OS user carol, delta ${current.slice(0, 8)})`,
    );
  });

  it('a typed approve without a hash approves the delta on show and echoes its hash; a wrong pin is refused', async () => {
    const sha = world.repo.commits.feature;
    await world.dispatch('U0NOBODY', `noop ${sha}`);
    const record = await world.composed.reviews.get(sha);
    expect(await world.dispatch('U0ADMIN', `approve ${sha.slice(0, 7)}@deadbeef00`)).toContain(
      'it showed delta deadbeef, the current one is',
    );
    expect((await world.composed.reviews.get(sha))?.decisions).toEqual([]);
    expect(await world.dispatch('U0ADMIN', `approve ${sha.slice(0, 7)}`)).toBe(
      `approved ${sha.slice(0, 7)} (delta ${record?.deltaHash.slice(0, 8)})`,
    );
  });

  it('a pin that is not hex is a usage error naming the form', async () => {
    expect(await world.dispatch('U0ADMIN', 'approve v2@zz')).toMatch(
      /REV.*optionally @ the delta hash shown/s,
    );
  });
});
