import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackBlock } from '../../src/bot/render/blocks.js';
import { SlackChat } from '../../src/bot/slack/chat.js';
import { composeDigest } from '../../src/compose/permadiff-digest.js';
import type { DigestService } from '../../src/engine/permadiffs/digest-service.js';
import { systemClock } from '../../src/engine/ports/index.js';
import { FakeSlackApi, type SlackCall } from '../fakes/slack-api.js';
import { captureLogger } from '../support/logger.js';
import { type ReviewWorld, startReviewWorld } from '../support/review-world.js';

/**
 * Issue 13, "Done means": on three SSH nodes with real Puppet, an Exec that runs every time (owned
 * by Erin) and a file another tool rewrites between runs on node2 (owned by Bob) become permadiffs
 * after two scans, with the right hosts and owners. The digest goes through the real WebClient to
 * the fake Slack API: the channel message shows both, each owner's private message only theirs.
 * An ignore with a reason collapses one part (and is audited); fixing the manifest and applying
 * resolves both, and the next digest says so.
 */
const TOKEN = 'xoxb-test-token';
let world: ReviewWorld;
let slack: FakeSlackApi;
let digest: DigestService;

const ALWAYS = `class always {
  exec { 'touch /data/always':
    command => '/bin/true',
    path    => ['/bin', '/usr/bin'],
  }
}
`;
const REWRITTEN = `class rewritten {
  file { '/data/rewritten.conf':
    ensure  => file,
    content => "managed by puppet\\n",
  }
}
`;
const SITE = (drift: boolean) => `node default {
  include motd
  include webapp
${drift ? '  include always\n  include rewritten\n' : ''}}
`;
const CODEOWNERS = `modules/motd/ @alice
modules/webapp/ @bob @erin
modules/always/ @erin
modules/rewritten/ @bob
`;

const applyEverywhere = async (sha: string) => {
  await world.composed.repo.fetch();
  const runs = await world.composed.service.runSha(sha, world.composed.service.nodes(), 'apply', 'U0ADMIN');
  expect(runs.flatMap((run) => (run.reached ? [] : [`${run.node}: ${run.error}`]))).toEqual([]);
};
/** The other tool: it rewrites the file on node2, as it does between every two Puppet runs. */
const otherToolRewrites = () =>
  world.fleet.ssh(world.fleet.node('node2'), "printf 'written by cfagent\\n' > /data/rewritten.conf");
const scan = async () => {
  await otherToolRewrites();
  return world.composed.permadiffs.scan({ by: 'U0ADMIN' });
};

/** Section and context texts of a chat.postMessage call, as Slack got them. */
const slackText = (call: SlackCall | undefined) =>
  ((call?.args.blocks ?? []) as SlackBlock[])
    .flatMap((b) =>
      b.type === 'section' && b.text
        ? [b.text.text]
        : b.type === 'context'
          ? b.elements.flatMap((e) => ('text' in e ? [e.text] : []))
          : b.type === 'header'
            ? [b.text.text]
            : [],
    )
    .join('\n');
const postsTo = (channel: string) =>
  slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel);

beforeAll(async () => {
  world = await startReviewWorld({
    file: {
      permadiffs: {
        notifyOwners: true,
        digest: { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', channel: 'CDIGEST' },
      },
    },
  });
  slack = await FakeSlackApi.start({ tokens: [TOKEN] });
  const client = new webApi.WebClient(TOKEN, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    logLevel: webApi.LogLevel.ERROR,
  });
  digest = composeDigest({
    config: world.config,
    storage: world.storage,
    chat: new SlackChat(client),
    clock: systemClock,
    logger: captureLogger().logger,
    permadiffs: world.composed.permadiffs,
    reviews: world.composed.reviews,
    applies: world.composed.applies,
  });
}, 240_000);

afterAll(async () => {
  await slack?.stop();
  await world?.close();
});

describe('the permadiff digest on a real fleet, through the Slack API', { timeout: 600_000 }, () => {
  it('posts both permadiffs with hosts and owners, and each owner only theirs, privately', async () => {
    const sha = world.commit('drift: an exec without unless, a file another tool rewrites', {
      'modules/always/manifests/init.pp': ALWAYS,
      'modules/rewritten/manifests/init.pp': REWRITTEN,
      'manifests/site.pp': SITE(true),
      CODEOWNERS,
    });
    await applyEverywhere(sha);
    await scan();
    // One scan: seen once, not a permadiff yet.
    expect((await digest.preview()).presented.message.text).toContain('No permadiffs');
    await scan();

    const outcome = await digest.post('U0ADMIN');
    expect(outcome.sentTo.sort()).toEqual(['U0BOB', 'U0ERIN']);
    const [posted] = postsTo('CDIGEST');
    const text = slackText(posted);
    expect(text).toContain('*2 permadiffs* on 3 nodes.');
    expect(text).toMatch(/\*Exec\[touch \/data\/always\]\* on node\{1\.\.3\}/);
    expect(text).toMatch(/\*File\[\/data\/rewritten\.conf\]\* on node2\n/);
    expect(text).toContain('owners: <@U0ERIN> · `modules/always/manifests/init.pp:2`');
    expect(text).toContain('owners: <@U0BOB> · `modules/rewritten/manifests/init.pp:2`');
    expect(text).toMatch(/-written by cfagent\n\+managed by puppet/);

    // The fake answers a user id with the app's DM conversation (D…), as Slack does.
    const erin = postsTo('U0ERIN');
    const bob = postsTo('U0BOB');
    expect(erin).toHaveLength(1);
    expect(erin[0]?.answer).toMatchObject({ ok: true, channel: 'D0ERIN' });
    expect(slackText(erin[0])).toContain('Exec[touch /data/always]');
    expect(slackText(erin[0])).not.toContain('rewritten.conf');
    expect(slackText(bob[0])).toContain('File[/data/rewritten.conf]');
    expect(slackText(bob[0])).not.toContain('touch /data/always');
    expect(postsTo('U0ALICE')).toEqual([]);

    // The next digest with nothing changed: one line, and nobody is told again.
    await digest.post('schedule');
    expect(slackText(postsTo('CDIGEST')[1])).toContain('Nothing changed since the last digest');
    expect(postsTo('U0ERIN')).toHaveLength(1);
  });

  it('collapses a part an ignore with a reason covers, and audits the ignore', async () => {
    expect(
      await world.dispatch(
        'U0ADMIN',
        'ignore "Exec[touch /data/always]" harmless, fix in OPS-7 --nodes node1',
      ),
    ).toBe('');
    const audit = await world.composed.reviews.auditLog();
    expect(audit.find((entry) => entry.action === 'ignore')).toMatchObject({
      user: 'U0ADMIN',
      reason: 'harmless, fix in OPS-7',
      ignore: { type: 'Exec', title: 'touch /data/always', nodes: ['node1'] },
    });
    // The command list applies it too.
    expect(await world.dispatch('U0NOBODY', 'permadiffs')).toMatch(
      /\*Exec\[touch \/data\/always\]\* on node\{2,3\}[\s\S]*1 ignored \(collapsed\):\n• Exec\[touch \/data\/always\] on node1 — ignored by <@U0ADMIN>/,
    );

    await digest.post('schedule');
    const text = slackText(postsTo('CDIGEST')[2]);
    expect(text).toMatch(
      /\*2 permadiffs\* on 2 nodes, 1 ignored\. Since the last digest \(.*\): 0 new, 0 resolved, 1 newly ignored\./,
    );
    expect(text).toMatch(/\*Exec\[touch \/data\/always\]\* on node\{2,3\}/);
    expect(text).toMatch(
      /Exec\[touch \/data\/always\] on node1 — ignored by <@U0ADMIN> until .* UTC \(`[0-9a-f]{6}`\): harmless, fix in OPS-7/,
    );
    // Erin's set changed (node1 went out of it): she hears again; Bob's did not.
    expect(postsTo('U0ERIN')).toHaveLength(2);
    expect(slackText(postsTo('U0ERIN')[1])).toMatch(/Exec\[touch \/data\/always\]\* on node\{2,3\}/);
    expect(postsTo('U0BOB')).toHaveLength(1);
  });

  it('says "resolved" once the manifest is fixed and applied', async () => {
    const sha = world.commit('drift: gone', { 'manifests/site.pp': SITE(false) });
    await applyEverywhere(sha);
    await world.composed.permadiffs.scan({ by: 'U0ADMIN' });

    await digest.post('schedule');
    const text = slackText(postsTo('CDIGEST')[3]);
    expect(text).toContain('No permadiffs.');
    expect(text).toMatch(/Since the last digest \(.*\): 0 new, 2 resolved\./);
    expect(text).toMatch(
      /\*Resolved since the last digest:\*\nExec\[touch \/data\/always\] \(was on 2 nodes\)\nFile\[\/data\/rewritten\.conf\] \(was on 1 node\)/,
    );
    // Each owner is told once that theirs went.
    expect(slackText(postsTo('U0BOB')[1])).toMatch(
      /None of your permadiffs stand any more[\s\S]*File\[\/data\/rewritten\.conf\]/,
    );
    expect(slackText(postsTo('U0ERIN')[2])).toMatch(
      /None of your permadiffs stand any more[\s\S]*Exec\[touch \/data\/always\]/,
    );
  });

  it('answers /heckler digest --preview only to the admin asking, and refuses others', async () => {
    const before = postsTo('CDIGEST').length;
    expect(await world.dispatch('U0ADMIN', 'digest --preview')).toContain(
      'Nothing changed since the last digest',
    );
    expect(await world.dispatch('U0ALICE', 'digest')).toMatch(/admin/);
    expect(postsTo('CDIGEST')).toHaveLength(before);
  });
});
