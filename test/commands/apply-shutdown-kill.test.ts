import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../../src/commands/dispatch.js';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { ComposedFleet } from '../../src/compose/fleet.js';
import type { Config } from '../../src/config/schema.js';
import type { Message } from '../../src/engine/ports/index.js';
import { reviewStatus } from '../../src/engine/review/records.js';
import { applyChat } from '../engine/apply/chat-view.js';
import { createLocalFleet, type LocalFleet } from '../engine/apply/local-fleet.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { type Fleet, startFleet } from '../support/fleet.js';
import { captureLogger } from '../support/logger.js';
import { waitFor } from '../support/process.js';

/**
 * A shutdown whose grace runs out while Puppet runs on an SSH node: the bot kills it there (its
 * whole session: Puppet runs under a `timeout` of its own, in a process group of its own) instead
 * of leaving it to run on unwatched, and the apply's record says so. Two real SSH nodes; Puppet is
 * the stand-in of test/engine/apply/local-fleet.ts (in /tmp, which the nodes share), held on node1.
 */
const CHANNEL = 'CAPPLY';
let fleet: Fleet;
let standIn: LocalFleet;
let app: HecklerApp;
let composed: ComposedFleet;
let chat: RecordingChat;
let dispatcher: Dispatcher;

const ask = async (line: string) => {
  const answers: Message[] = [];
  await dispatcher.dispatch({
    text: line,
    user: 'U0APPLIER',
    channel: CHANNEL,
    respond: async (m) => void answers.push(m),
  });
  return answers.map((m) => m.text).join('\n');
};

/** Stand-in Puppet processes on the node (the `[p]` keeps pgrep's own command line out). */
const standInsOn = async (node: string) =>
  (await fleet.ssh(node, `pgrep -a -f '${standIn.dir}/bin/[p]uppet' || true`)).stdout.trim();

const appliedRevision = async (node: string) => {
  const [read] = await composed.service.applied(await composed.service.select({ nodes: [node] }));
  return read?.ok && read.value.ok ? read.value.state?.revision : undefined;
};

beforeAll(async () => {
  [fleet, standIn] = await Promise.all([startFleet({ nodes: 2 }), createLocalFleet({ nodes: 2 })]);
  const config: Config = testConfig({
    ...standIn.config,
    users: { U0ADMIN: 'ada', U0APPLIER: 'abe' },
    roles: { admins: ['U0ADMIN'], appliers: ['U0APPLIER'] },
    storage: { dataDir: join(standIn.dir, 'data'), keyPrefix: 'shutdown-kill' },
    fleet: {
      workDir: '/data/heckler',
      ssh: { key: fleet.privateKeyPath, knownHosts: fleet.knownHostsPath },
      // The stand-in names its hold and started files by certname.
      nodes: Object.fromEntries(
        fleet.nodes.map((n) => [n.name, { host: n.host, port: n.port, certname: n.name }]),
      ),
    },
    apply: { channel: CHANNEL, concurrency: 1, lockTtl: '30s', shutdownGrace: '1s' },
  });
  chat = new RecordingChat();
  app = await composeApp(config, { chat, logger: captureLogger().logger, scheduler: false, version: 'test' });
  if (!app.fleet) throw new Error('no fleet');
  composed = app.fleet;
  dispatcher = app.dispatcher;
  const runs = await composed.service.runSha(
    standIn.repo.commits.motdChange,
    composed.service.nodes(),
    'apply',
    'U0ADMIN',
  );
  if (runs.some((run) => !run.reached))
    throw new Error(`could not apply v1: ${JSON.stringify(runs.find((r) => !r.reached))}`);
  standIn.reset();
}, 120_000);

afterAll(async () => {
  standIn?.release('node1');
  await app?.close();
  await fleet?.stop();
  standIn?.remove();
});

describe('shutdown beyond the grace on SSH nodes', () => {
  it('kills Puppet still running on a node, leaves nothing of it there, and the record says so', async () => {
    expect(reviewStatus(await composed.reviews.review(standIn.repo.commits.hotfix))).toBe('auto_approved');
    await ask('apply v1.1');
    const view = () => applyChat(chat.events, CHANNEL);
    const id = view().lastPlan();
    standIn.hold('node1');
    expect(await ask(`confirm ${id}`)).toMatch(/confirmed: applying v1.1 to 2 nodes/);
    await waitFor(() => standIn.started('node1'), { what: 'Puppet to start on node1' });
    expect(await standInsOn('node1')).not.toBe('');

    await composed.applies.shutdown(1_000);

    // Gone when shutdown returns: the node's answer to the kill is what ended the wait.
    expect(await standInsOn('node1')).toBe('');
    expect(standIn.finished('node1')).toBe(false);
    const record = await composed.applies.get(id);
    expect(record?.status).toBe('interrupted');
    expect(record?.stages.flatMap((s) => s.nodes.map((n) => `${n.node}:${n.status}`))).toEqual([
      'node1:interrupted',
      'node2:not_run',
    ]);
    expect(record?.stages[0]?.nodes[0]?.error).toBe(
      'killed at shutdown after the 1s grace: it may be part-way',
    );
    expect(record?.note).toBe(
      'the bot shut down while node1 was being applied: Puppet there was killed after the 1s grace, so it may be part-way (`/heckler status` shows what each runs)',
    );
    expect(view().thread(id).at(-1)).toMatch(
      /^:warning: Interrupted: the bot shut down while node1 was being applied: Puppet there was killed/,
    );
    // The kill is no Puppet failure of its own: no failure reply for node1 in the thread.
    expect(view().thread(id).join('\n')).not.toContain('cancelled while running');
    expect(await app.storage.locks.list()).toEqual([]);
    // Killed before it could record anything: the node still says what it had applied before.
    expect(await appliedRevision('node1')).toBe(standIn.repo.commits.motdChange);
  }, 60_000);
});
