import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { ComposedFleet } from '../../src/compose/fleet.js';
import type { Message } from '../../src/engine/ports/index.js';
import type { AppliedState } from '../../src/engine/runs/applied-state.js';
import type { Storage } from '../../src/storage/keyv.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { type Fleet, startFleet } from '../support/fleet.js';
import { captureLogger } from '../support/logger.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../support/puppet-repo.js';

/**
 * `/heckler nodes` and `/heckler noop --full` end to end: the real dispatcher, git mirror, SSH
 * transport and Puppet, on three nodes that each have their own /data.
 */
let fleet: Fleet;
let repo: PuppetRepoFixture;
let app: HecklerApp;
let storage: Storage;
let composed: ComposedFleet;
let chat: RecordingChat;
let ask: (text: string, user?: string) => Promise<Message[]>;

const text = (messages: readonly Message[]) =>
  messages.map((m) => m.blocks.map(blockText).join('\n')).join('\n');
const blockText = (block: Message['blocks'][number]): string => {
  if (block.kind === 'fields') return block.fields.map((f) => `${f.label}: ${f.value}`).join('\n');
  if (block.kind === 'actions') return block.buttons.map((b) => b.label).join(' ');
  if (block.kind === 'divider') return '---';
  return block.text;
};
/** The last message posted to the channel (the noop result). */
const lastPost = () => {
  const post = chat.events.filter((e) => e.kind === 'post').at(-1);
  if (post?.kind !== 'post') throw new Error('nothing was posted');
  return post;
};

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-puppet-cmd-'));
  [fleet, repo] = await Promise.all([startFleet({ nodes: 3 }), createPuppetRepo(join(dir, 'repo'))]);
  const config = testConfig({
    repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, 'mirror') },
    puppet: { args: ['--vardir', '/data/puppet/var', '--confdir', '/data/puppet/conf'] },
    fleet: {
      workDir: '/data/heckler',
      ssh: { key: fleet.privateKeyPath, knownHosts: fleet.knownHostsPath, concurrency: 10 },
      nodes: Object.fromEntries(
        fleet.nodes.map((node) => [node.name, { host: node.host, port: node.port, certname: node.certname }]),
      ),
      sets: { canaries: { nodes: ['node1'] }, rest: { pattern: 'node[23]' } },
      applyOrder: ['canaries', 'all'],
    },
    storage: { dataDir: join(dir, 'data'), keyPrefix: 'test' },
  });
  const { logger } = captureLogger();
  chat = new RecordingChat();
  app = await composeApp(config, { chat, logger, scheduler: false, version: 'test' });
  if (!app.fleet) throw new Error('composeApp made no fleet for a config with a repo');
  composed = app.fleet;
  storage = app.storage;
  const { dispatcher } = app;
  ask = async (line, user = 'U0NOBODY') => {
    const answers: Message[] = [];
    await dispatcher.dispatch({
      text: line,
      user,
      channel: 'C1',
      respond: async (m) => void answers.push(m),
    });
    return answers;
  };
}, 120_000);

afterAll(async () => {
  await app?.close();
  await fleet?.stop();
});

describe('/heckler nodes', () => {
  it('lists nodes with their sets and the apply order, and --check says who answers', async () => {
    const answer = text(await ask('nodes --check'));
    expect(answer).toMatch(/Fleet: 3 nodes/);
    expect(answer).toMatch(
      /\*node1\* ssh root@127\.0\.0\.1:\d+ · certname node1\.example\.com · sets: canaries · :white_check_mark: answers/,
    );
    expect(answer).toMatch(/\*node3\* .* sets: rest · :white_check_mark: answers/);
    expect(answer).toContain('*rest* (pattern node[23]): node2, node3');
    expect(answer).toContain('Apply order: canaries → all');
    expect(answer).toContain('3 of 3 nodes answer.');
  });

  it('lists one set, and an unknown set is an error naming the known ones', async () => {
    expect(text(await ask('nodes rest'))).toMatch(/Set rest: 2 nodes[\s\S]*\*node2\*[\s\S]*\*node3\*/);
    expect(text(await ask('nodes canarys'))).toMatch(/unknown set 'canarys' \(did you mean 'canaries'\?\)/);
  });
});

describe('/heckler noop --full', () => {
  it('noops a tag on every node and posts what each would change, grouped by node', async () => {
    const answers = await ask('noop v1 --full');
    expect(text(answers)).toMatch(/nooping v1 on 3 nodes/);
    const { channel, message } = lastPost();
    expect(channel).toBe('C1');
    const posted = text([message]);
    expect(posted).toContain(`Noop of v1 (${repo.commits.motdChange.slice(0, 7)})`);
    expect(posted).toContain('3 would change, 0 unchanged, 0 failed, 0 unreachable');
    for (const node of ['node1', 'node2', 'node3']) expect(posted).toContain(`*${node}* — would change`);
    expect(posted).toMatch(/`File\[\/data\/motd\]` · modules\/motd\/manifests\/init\.pp:\d+/);
    expect(posted).toContain('ensure: absent → file');
    // A noop changes nothing on the nodes.
    for (const node of fleet.nodes) expect(existsSync(join(node.dataDir, 'motd'))).toBe(false);
  });

  it('an apply changes only its node and records the applied state there and in storage', async () => {
    const [node1] = await composed.service.select({ nodes: ['node1'] });
    if (!node1) throw new Error('no node1');
    const result = await composed.service.run('v1', [node1], 'apply', 'U0ADMIN');
    const run = result.runs[0];
    expect(run?.reached && run.report.outcome).toBe('changes');
    expect(readFileSync(join(fleet.node('node1').dataDir, 'motd'), 'utf8')).toContain(
      'Be kind to each other.',
    );
    expect(existsSync(join(fleet.node('node2').dataDir, 'motd'))).toBe(false);
    const [read] = await composed.service.applied([node1]);
    expect(read?.ok && read.value.ok && read.value.state).toMatchObject({
      revision: repo.commits.motdChange,
      outcome: 'ok',
      dirty: false,
      by: 'U0ADMIN',
    });
    expect(await storage.store<AppliedState>('applied').get('node1')).toMatchObject({
      revision: repo.commits.motdChange,
    });
  });

  it('shows content diffs, node-specific changes and refresh notices', async () => {
    await ask(`noop ${repo.commits.coauthored.slice(0, 10)} --nodes node1,node2 --full`);
    const posted = text([lastPost().message]);
    // node1 has v1 applied: the merged feature changes app.conf, which would refresh the exec.
    expect(posted).toMatch(/\*node1\* — would change/);
    expect(posted).toMatch(
      /`Exec\[reload webapp\]`[^\n]*\n:arrows_counterclockwise: \*would trigger a refresh\*/,
    );
    expect(posted).toContain('-workers = 2');
    expect(posted).toContain('+workers = 4');
    // Only node2's definition adds /data/canary.
    const node2 = posted.slice(posted.indexOf('*node2*'));
    expect(node2).toContain('`File[/data/canary]`');
    expect(posted.slice(0, posted.indexOf('*node2*'))).not.toContain('/data/canary');
  });

  it('reports a compile error per node without the node name in it', async () => {
    await ask(`noop ${repo.commits.broken} --nodes node1,node3 --full`);
    const posted = text([lastPost().message]);
    expect(posted).toContain('0 would change, 0 unchanged, 2 failed, 0 unreachable');
    expect(posted).toMatch(
      /\*node1\* — does not compile\n:x: Evaluation Error: Unknown function: 'motd_banner'\. \(modules\/motd\/manifests\/init\.pp:6\)/,
    );
    expect(posted).not.toContain('node1.example.com');
  });

  it('reports an unreachable node without hurting the others', async () => {
    await fleet.stopNode('node3');
    try {
      await ask('noop v1 --set rest --full');
      const posted = text([lastPost().message]);
      expect(posted).toContain('1 would change, 0 unchanged, 0 failed, 1 unreachable');
      expect(posted).toMatch(/\*node3\* — unreachable: .+/);
      expect(posted).toContain('*node2* — would change');
      expect(text(await ask('nodes --check'))).toMatch(/\*node3\* .*:x: unreachable/);
    } finally {
      await fleet.startNode('node3');
    }
  });

  it.each([
    ['noop v9 --full', /unknown revision 'v9'.*latest tags: v1\.1, v2, v1/],
    ['noop v1 --nodes node9 --full', /unknown node 'node9' \(did you mean 'node1'\?\)/],
    ['noop v1 --nodes node1 --set rest --full', /give either --nodes or --set, not both/],
    [
      'noop v1 --nodes node1',
      /a delta noop covers the whole fleet[\s\S]*add --full for a plain noop of v1 on those nodes/,
    ],
    ['noop "v1;reboot" --full', /'v1;reboot' is not a valid REV/],
  ])('%s answers with what went wrong and posts nothing', async (line, expected) => {
    const before = chat.events.length;
    expect(text(await ask(line))).toMatch(expected);
    expect(chat.events.length).toBe(before);
  });
});
