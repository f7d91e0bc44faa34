import { describe, expect, it } from 'vitest';
import { blockTextLength, toBlockKit } from '../../src/bot/render/blocks.js';
import { SLACK_LIMITS } from '../../src/bot/render/slack-limits.js';
import { digestView, ownerDigestView } from '../../src/commands/views/permadiff-digest.js';
import { buildDigest, type DigestSnapshot } from '../../src/engine/permadiffs/digest.js';
import type { Message } from '../../src/engine/ports/index.js';
import { group, HOUR, ignoreOf, input, NOW, owned } from '../engine/permadiffs/digest-fixtures.js';
import { blocksText, MESSAGE_TEXT_LIMIT } from '../fakes/slack-api-methods.js';

/** Every text of a neutral message, one line per block. */
const textOf = (message: Message) => message.blocks.map((b) => ('text' in b ? b.text : '')).join('\n');

/** What Slack would get: one message, within every limit, with no continuation in its thread. */
const expectOneSlackMessage = (message: Message) => {
  const rendered = toBlockKit(message);
  expect(rendered.overflow).toEqual([]);
  expect(rendered.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
  expect(rendered.blocks.reduce((sum, b) => sum + blockTextLength(b), 0)).toBeLessThanOrEqual(
    SLACK_LIMITS.messageText,
  );
  expect(blocksText(rendered.blocks)).toBeLessThanOrEqual(MESSAGE_TEXT_LIMIT);
  return JSON.stringify(rendered.blocks);
};

const exec = group(
  'h-exec',
  'Exec[touch /data/always]',
  { web1: 3, web2: 3, web3: 2 },
  { owners: owned('U0ERIN') },
);
const file = group(
  'h-file',
  'File[/data/drift.conf]',
  { web2: 2, web3: 2 },
  {
    owners: owned('U0BOB'),
    diff: '--- /data/drift.conf\n+++ /tmp/puppet-file\n@@ -1 +1 @@\n-edited by hand\n+managed on {{node}}\n',
  },
);
const previous = (standing: [string, string, number][]): DigestSnapshot => ({
  at: NOW - 24 * HOUR,
  standing: standing.map(([hash, name, nodes]) => ({ hash, name, nodes })),
  sent: {},
});

describe('the digest message', () => {
  it('says "No permadiffs" when there are none', () => {
    const { message, file: attached } = digestView(buildDigest(input({})).digest);
    expect(textOf(message)).toContain('No permadiffs.');
    expect(attached).toBeUndefined();
    expectOneSlackMessage(message);
  });

  it('shows totals, the biggest groups with hosts, owners, file:line and a short diff', () => {
    const { message } = digestView(buildDigest(input({ groups: [file, exec] })).digest);
    const text = textOf(message);
    expect(text).toContain('*2 permadiffs* on 3 nodes.');
    expect(text).toContain('(the first digest)');
    expect(text).toMatch(
      /\*Exec\[touch \/data\/always\]\* on web\{1\.\.3\}[\s\S]*\*File\[\/data\/drift\.conf\]\* on web\{2,3\}/,
    );
    expect(text).toContain('owners: <@U0ERIN>');
    expect(text).toContain('`modules/x/manifests/init.pp:3`');
    expect(text).toContain('+managed on {{node}}');
  });

  it('says what is new and what was resolved since the last digest', () => {
    const { message } = digestView(
      buildDigest(
        input({
          groups: [exec, file],
          previous: previous([
            ['h-exec', 'Exec[touch /data/always]', 3],
            ['h-cron', 'Cron[backup]', 4],
          ]),
        }),
      ).digest,
    );
    const text = textOf(message);
    expect(text).toContain('Since the last digest (2026-01-04 08:00 UTC): 1 new, 1 resolved.');
    expect(text).toMatch(/\*New since the last digest:\*\nFile\[\/data\/drift\.conf\] on 2 nodes/);
    expect(text).toMatch(/\*Resolved since the last digest:\*\nCron\[backup\] \(was on 4 nodes\)/);
  });

  it('says in one line when nothing changed, with the totals', () => {
    const { message, file: attached } = digestView(
      buildDigest(
        input({
          groups: [exec, file],
          previous: previous([
            ['h-exec', 'Exec[touch /data/always]', 3],
            ['h-file', 'File[/data/drift.conf]', 2],
          ]),
        }),
      ).digest,
    );
    const lines = message.blocks.filter((b) => b.kind === 'section');
    expect(lines).toHaveLength(1);
    expect(message.text).toBe(
      'Nothing changed since the last digest (2026-01-04 08:00 UTC): *2 permadiffs* on 3 nodes. `/heckler permadiffs` lists them.',
    );
    expect(attached).toBeUndefined();
  });

  it('keeps long lists whole in the file even when nothing changed', () => {
    const locks = Array.from({ length: 12 }, (_, i) => ({
      lock: {
        key: `node:web${i}`,
        node: `web${i}`,
        owner: 'U0BOB',
        reason: 'kernel',
        since: NOW - 50 * HOUR,
        expiresAt: NOW + HOUR,
      },
      why: { kind: 'held long' as const, forMs: 50 * HOUR },
    }));
    const { message, file: attached } = digestView(
      buildDigest(
        input({
          groups: [exec],
          staleLocks: locks,
          previous: previous([['h-exec', 'Exec[touch /data/always]', 3]]),
        }),
      ).digest,
    );
    expect(textOf(message)).toContain('Nothing changed since the last digest');
    expect(textOf(message)).toContain('… 4 more stale locks in the attached file');
    expect(attached?.content).toContain('web11: held by @U0BOB');
  });

  it('collapses ignored groups to one line each: resource, who, why, until', () => {
    const { message } = digestView(
      buildDigest(
        input({
          groups: [exec, file],
          ignores: [ignoreOf('File', '/data/drift.conf', { reason: 'rewritten by cfagent, ticket OPS-1' })],
        }),
      ).digest,
    );
    const text = textOf(message);
    expect(text).toContain('*1 permadiff* on 3 nodes, 1 ignored.');
    expect(text).toContain(
      'File[/data/drift.conf] on web{2,3} — ignored by <@U0BOB> until 2026-02-04 08:00 UTC (`abc123`): rewritten by cfagent, ticket OPS-1',
    );
    expect(text).not.toContain('*File[/data/drift.conf]*');
  });

  it('lists stale locks, long-waiting commits and nodes it could not scan', () => {
    const { message } = digestView(
      buildDigest(
        input({
          groups: [exec],
          lastScan: {
            at: NOW - HOUR,
            startedAt: NOW - 2 * HOUR,
            by: 'schedule',
            scanned: ['web1', 'web2', 'web3'],
            notScanned: [
              { node: 'web4', reason: 'unreachable' },
              { node: 'web5', reason: 'unreachable' },
              { node: 'db1', reason: 'dirty' },
            ],
          },
          staleLocks: [
            {
              lock: {
                key: 'node:web1',
                node: 'web1',
                owner: 'U0BOB',
                reason: 'kernel',
                since: NOW - 50 * HOUR,
                expiresAt: NOW + HOUR,
              },
              why: { kind: 'held long', forMs: 50 * HOUR },
            },
            {
              lock: {
                key: 'node:web2',
                node: 'web2',
                owner: 'heckler:apply#7',
                reason: 'apply',
                since: NOW - HOUR,
                expiresAt: NOW + HOUR,
              },
              why: { kind: 'apply not running', apply: 7 },
            },
          ],
          waiting: [
            {
              sha: 'a'.repeat(40),
              shortSha: 'aaaaaaa',
              subject: 'motd: <b>bold</b>',
              committedAt: NOW - 30 * HOUR,
            },
          ],
        }),
      ).digest,
    );
    const text = textOf(message);
    expect(text).toContain(
      'Could not scan 3 nodes (not counted, nothing resolved there): web{4,5} (unreachable); db1 (dirty)',
    );
    expect(text).toContain('web1: held by <@U0BOB> for 2d2h (kernel)');
    expect(text).toContain('web2: held by apply #7, which is no longer running');
    expect(text).toContain('`aaaaaaa` motd: &lt;b&gt;bold&lt;/b&gt; — committed 1d6h ago');
  });

  it('puts what does not fit into one attached file and says how many groups are there', () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      group(
        `h${i}`,
        `File[/etc/app/conf-${i}.d/${'x'.repeat(100)}]`,
        Object.fromEntries(Array.from({ length: 60 - i }, (_, n) => [`node${n}`, 2])),
        {
          diff: Array.from({ length: 40 }, (_, l) => `+line ${l} of conf ${i} ${'y'.repeat(120)}`).join('\n'),
        },
      ),
    );
    const { message, file: attached } = digestView(buildDigest(input({ groups: many })).digest);
    const shown = message.blocks.filter((b) => b.kind === 'section' && b.text.startsWith('• ')).length;
    expect(shown).toBeGreaterThan(0);
    expect(textOf(message)).toContain(`${60 - shown} more groups in the attached file.`);
    expectOneSlackMessage(message);
    expect(attached?.filename).toMatch(/^permadiff-digest-.*\.txt$/);
    for (let i = 0; i < 60; i += 1) expect(attached?.content).toContain(`conf-${i}.d/`);
    expect(attached?.content).toContain('+line 39 of conf 59');
  });

  it('attaches the file when only a diff was shortened, and says where the rest is', () => {
    const long = group(
      'h-long',
      'File[/etc/long.conf]',
      { web1: 2 },
      {
        diff: Array.from({ length: 30 }, (_, l) => `+line ${l}`).join('\n'),
      },
    );
    const { message, file: attached } = digestView(buildDigest(input({ groups: [long] })).digest);
    expect(textOf(message)).toContain('… 22 more lines');
    expect(textOf(message)).toContain('Full host lists and diffs in the attached file.');
    expect(attached?.content).toContain('+line 29');
  });

  it('escapes hostile text in resources, diffs, owners and reasons', () => {
    const hostile = group(
      'h-bad',
      'File[<!channel> &amp; <@U0ADMIN>]',
      { web1: 2 },
      {
        owners: [{ of: 'x', owners: ['U0EVE'], unmapped: ['<!here>'], source: 'file' }],
        diff: '+<!everyone> ```\n',
        file: 'modules/<!subteam^S1>/init.pp',
      },
    );
    const { message } = digestView(
      buildDigest(
        input({ groups: [hostile], ignores: [ignoreOf('Exec', 'x', { reason: '<!channel> ignore me' })] }),
      ).digest,
    );
    const slack = expectOneSlackMessage(message);
    for (const raw of ['<!channel>', '<!here>', '<!everyone>', '<!subteam^S1>', '<@U0ADMIN>'])
      expect(slack).not.toContain(raw);
    expect(slack).toContain('<@U0EVE>');
    expect(textOf(message)).toContain('File[&lt;!channel&gt; &amp;amp; &lt;@U0ADMIN&gt;]');
  });
});

describe('the private owner message', () => {
  it('has only the groups that person owns (admins: those nobody owns), and what of theirs went', () => {
    const lone = group('h-lone', 'Service[nginx]', { web1: 2 });
    const { digest, owners } = buildDigest(
      input({ groups: [exec, file, lone], owners: { admins: ['U0ADMIN'] } }),
    );
    const bob = owners.find((o) => o.user === 'U0BOB');
    const admin = owners.find((o) => o.user === 'U0ADMIN');
    if (!bob || !admin) throw new Error('missing owner digests');
    const bobText = textOf(ownerDigestView(bob, digest).message);
    expect(bobText).toContain('*1 permadiff* you own');
    expect(bobText).toContain('File[/data/drift.conf]');
    expect(bobText).not.toContain('Exec[touch');
    expect(bobText).not.toContain('Service[nginx]');
    const adminText = textOf(ownerDigestView(admin, digest).message);
    expect(adminText).toContain('*1 permadiff* nobody owns (you are an admin)');
    expect(adminText).toContain('Service[nginx]');
    expect(adminText).not.toContain('File[/data/drift.conf]');
  });
});
