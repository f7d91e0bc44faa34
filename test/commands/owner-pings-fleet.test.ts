import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReviewWorld, startReviewWorld, textOf } from '../support/review-world.js';

/**
 * Owner pings and the dashboard end to end: real SSH nodes with v1 applied, real Puppet, the
 * fixture repository's CODEOWNERS with a team mapped to a Slack user group. A review waiting for
 * two owners pings each of them once, mentions the group once in the review's thread, and shows
 * up on their dashboards (and nobody else's) until it is decided.
 */
let world: ReviewWorld;
let sha: string;

const WEBAPP = `# A pretend web application: more workers.
class webapp {
  file { '/data/webapp':
    ensure => directory,
  }
  file { '/data/webapp/app.conf':
    ensure  => file,
    content => "port = 8080\\nworkers = 6\\n",
  }
}
`;

beforeAll(async () => {
  world = await startReviewWorld({
    file: {
      approvals: { owners: { '@bob': 'U0BOB', '@erin': 'U0ERIN', '@org/infra': { usergroup: 'S0INFRA' } } },
    },
  });
  // Ownership is read at the parent: the team is an owner of webapp from this commit on.
  world.commit(
    'webapp is also owned by the infra team',
    { CODEOWNERS: 'modules/motd/ @alice\nmodules/webapp/ @bob @erin @org/infra\n/manifests/ @carol\n' },
    { author: { name: 'Carol Cooper', email: 'carol@example.com' } },
  );
  sha = world.commit(
    'webapp: six <!channel> workers',
    { 'modules/webapp/manifests/init.pp': WEBAPP },
    { author: { name: 'Dave', email: 'dave@example.com' } },
  );
  await world.composed.repo.fetch();
}, 180_000);

afterAll(async () => {
  await world?.close();
});

/** `/heckler home` as `user` types it: the dashboard's text form. */
const home = async (user: string): Promise<string> => {
  const answers: string[] = [];
  await world.app.dispatcher.dispatch({
    text: 'home',
    user,
    channel: 'C1',
    respond: async (message) => void answers.push(textOf(message)),
  });
  return answers.join('\n');
};

const directs = () => world.chat.events.filter((e) => e.kind === 'direct');
const groupReplies = () =>
  world.chat.events.filter((e) => e.kind === 'reply' && e.message.text.includes('<!subteam^S0INFRA>'));

describe('a review waiting for two owners and a team', { timeout: 120_000 }, () => {
  it('pings each owner once, privately, with what of theirs changed and the buttons', async () => {
    expect(await world.dispatch('U0NOBODY', `noop ${sha.slice(0, 8)}`)).toMatch(/3 nodes would change/);
    const pinged = directs().map((e) => e.kind === 'direct' && e.user);
    expect(pinged.sort()).toEqual(['U0BOB', 'U0ERIN']);
    const bob = directs().find((e) => e.kind === 'direct' && e.user === 'U0BOB');
    const text = bob?.kind === 'direct' ? textOf(bob.message) : '';
    expect(text).toContain(
      `:wave: Waiting for your review: \`${sha.slice(0, 7)}\` webapp: six &lt;!channel&gt; workers`,
    );
    expect(text).toContain('`File[/data/webapp/app.conf]` (modules/webapp/manifests/init.pp:');
    expect(text).toContain('on node{1..3}');
    const pin = (await world.composed.reviews.get(sha))?.deltaHash.slice(0, 12);
    expect(text).toContain(`[Approve: approve ${sha}@${pin}] [Deny: deny ${sha}@${pin}]`);
  });

  it('mentions the team as its user group once, in the review thread', () => {
    const replies = groupReplies();
    expect(replies).toHaveLength(1);
    const reply = replies[0];
    expect(reply?.kind === 'reply' && reply.thread).toEqual(world.messageOf(sha).ref);
    // The review itself names the group as a mention too.
    expect(world.messageOf(sha).text).toContain('<!subteam^S0INFRA>');
  });

  it('a second noop of the same commit pings nobody again', async () => {
    await world.dispatch('U0NOBODY', `noop ${sha.slice(0, 8)}`);
    await world.composed.reviews.review(sha);
    expect(directs()).toHaveLength(2);
    expect(groupReplies()).toHaveLength(1);
  });

  it("shows on the owners' dashboards with its buttons, and on nobody else's", async () => {
    const erin = await home('U0ERIN');
    expect(erin).toContain('*Waiting for your approval* (1)');
    expect(erin).toContain(`[Approve: approve ${sha}@`);
    expect(await home('U0NOBODY')).toContain('*Waiting for your approval* (0)');
    // The dashboard shows the fleet by revision as stored: every node on v1.
    expect(await home('U0NOBODY')).toMatch(/`[0-9a-f]{7}` v1: 3 nodes \(node\{1\.\.3\}\)/);
  });

  it('once an owner approves, it leaves the dashboards and its reminders stop', async () => {
    expect(await world.dispatch('U0BOB', `approve ${sha}`)).toMatch(/^approved/);
    expect(await home('U0ERIN')).toContain('*Waiting for your approval* (0)');
    expect(await home('U0BOB')).toMatch(/approved `[0-9a-f]{7}` at /);
    expect(await world.composed.pings.remind()).toBe(0);
    expect(directs()).toHaveLength(2);
  });
});
