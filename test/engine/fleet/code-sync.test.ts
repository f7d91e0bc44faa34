import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalTransport } from '../../../src/adapters/transport/local.js';
import { createSshTransport, type SshTransport } from '../../../src/adapters/transport/ssh.js';
import { isHecklerError } from '../../../src/engine/errors.js';
import { CodeSyncError, type SyncCodeOptions, syncCode } from '../../../src/engine/fleet/code-sync.js';
import { onNodes } from '../../../src/engine/fleet/fanout.js';
import type { NodeSpec, NodeTransport } from '../../../src/engine/ports/transport.js';
import { type Fleet, startFleet } from '../../support/fleet.js';
import { captureLogger } from '../../support/logger.js';
import { runOk } from '../../support/process.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../../support/puppet-repo.js';

const dir = mkdtempSync(join(tmpdir(), 'heckler-code-sync-'));
let fleet: Fleet;
let repo: PuppetRepoFixture;
let transport: SshTransport;
let nodes: NodeSpec[];
const WORK_DIR = '/data/heckler';
const CHECKOUT = `${WORK_DIR}/checkout`;

/** What the bot's mirror will do (CodeRepo.bundle), with the git CLI: `sha` minus what `haves` reach. */
const calls: { sha: string; haves: readonly string[]; bytes: number }[] = [];
let bundles = 0;
const bundle = async (sha: string, haves: readonly string[]): Promise<Buffer> => {
  const n = bundles++;
  const ref = `refs/heckler-test/bundle-${n}`;
  const path = join(dir, `${n}.bundle`);
  await runOk('git', ['-C', repo.path, 'update-ref', ref, sha]);
  try {
    await runOk('git', ['-C', repo.path, 'bundle', 'create', path, ref, ...haves.map((have) => `^${have}`)]);
  } finally {
    await runOk('git', ['-C', repo.path, 'update-ref', '-d', ref]);
  }
  const bytes = readFileSync(path);
  calls.push({ sha, haves, bytes: bytes.length });
  return bytes;
};

const node = (name: string) => nodes.find((n) => n.name === name) as NodeSpec;
const sh = async (name: string, command: string) => {
  const result = await transport.exec(node(name), command);
  expect(result, result.stderr).toMatchObject({ status: 'ok' });
  return result.stdout.trim();
};
const sync = (name: string, sha: string, extra: Partial<SyncCodeOptions> = {}) =>
  syncCode({ transport, node: node(name), sha, bundle, ...extra });
/** The node's checkout is exactly `sha`: HEAD, and not one modified, missing or extra file. */
const expectCheckoutAt = async (name: string, sha: string) => {
  expect(await sh(name, `git -C ${CHECKOUT} rev-parse HEAD`)).toBe(sha);
  expect(await sh(name, `git -C ${CHECKOUT} status --porcelain --ignored --untracked-files=all`)).toBe('');
  expect(await sh(name, `cat ${WORK_DIR}/state/synced`)).toBe(sha);
};

beforeAll(async () => {
  [fleet, repo] = await Promise.all([startFleet({ nodes: 3 }), createPuppetRepo(join(dir, 'repo'))]);
  nodes = fleet.nodes.map((n) => ({
    name: n.name,
    transport: 'ssh',
    host: n.host,
    port: n.port,
    user: n.user,
    keyPath: fleet.privateKeyPath,
    certname: n.certname,
    workDir: WORK_DIR,
  }));
  transport = createSshTransport({
    knownHostsPath: fleet.knownHostsPath,
    hostKeys: 'strict',
    concurrency: 10,
    connectTimeoutMs: 5_000,
    keepaliveMs: 10_000,
    logger: captureLogger().logger,
  });
}, 60_000);

afterAll(async () => {
  await transport?.close();
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('syncCode over ssh', () => {
  it('first sync sends a full bundle and checks out the exact commit on every node', async () => {
    const { owners } = repo.commits;
    const outcomes = await onNodes(nodes, (n) => syncCode({ transport, node: n, sha: owners, bundle }), {
      concurrency: 3,
    });
    const full = calls.at(-1)?.bytes ?? 0;
    for (const outcome of outcomes) {
      expect(outcome).toEqual({
        node: outcome.node,
        ok: true,
        value: { sha: owners, sentBytes: full, repaired: [] },
      });
      await expectCheckoutAt(outcome.node, owners);
    }
    expect(calls.slice(-3).map((call) => call.haves)).toEqual([[], [], []]);
    // Heckler's own files live beside the checkout, not in it
    expect(await sh('node1', `ls ${WORK_DIR}`)).toBe('checkout\nstate');
  });

  it('a second sync to a newer commit sends only the missing objects', async () => {
    const { owners, fixed } = repo.commits;
    const first = await sync('node1', owners).catch(() => undefined); // already there: nothing to send
    expect(first).toEqual({ sha: owners, sentBytes: 0, repaired: [] });
    const fullSize = (await bundle(fixed, [])).length;
    const result = await sync('node1', fixed);
    expect(calls.at(-1)?.haves).toEqual([owners]);
    expect(result.sentBytes).toBe(calls.at(-1)?.bytes);
    expect(result.sentBytes).toBeLessThan(fullSize * 0.4);
    expect(result.repaired).toEqual([]);
    await expectCheckoutAt('node1', fixed);
    const motd = 'modules/motd/manifests/init.pp';
    const expected = (await runOk('git', ['-C', repo.path, 'show', `${fixed}:${motd}`])).stdout.trim();
    expect(await sh('node1', `cat ${CHECKOUT}/${motd}`)).toBe(expected);
  });

  it('goes back to a commit the node already has without sending anything', async () => {
    const before = calls.length;
    expect(await sync('node1', repo.commits.initial)).toEqual({
      sha: repo.commits.initial,
      sentBytes: 0,
      repaired: [],
    });
    expect(calls.length).toBe(before);
    await expectCheckoutAt('node1', repo.commits.initial);
  });

  it('removes a stale index.lock', async () => {
    await sh('node2', `touch -d '-2 minutes' ${CHECKOUT}/.git/index.lock`);
    const result = await sync('node2', repo.commits.fixed);
    expect(result.repaired).toEqual([
      expect.stringMatching(/^stale \.git\/index\.lock \(1[2-9]\ds old\) removed$/),
    ]);
    await expectCheckoutAt('node2', repo.commits.fixed);
    expect(await sh('node2', `test -e ${CHECKOUT}/.git/index.lock && echo there || echo gone`)).toBe('gone');
  });

  it('leaves a fresh index.lock alone while a git command runs, and says so', async () => {
    await sh('node2', `touch ${CHECKOUT}/.git/index.lock`);
    // a git process that lives for a few seconds, as a concurrent `git` on the node would
    await sh('node2', `git -c 'alias.hold=!sleep 4' hold >/dev/null 2>&1 </dev/null & echo started`);
    const error = await sync('node2', repo.commits.owners).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CodeSyncError);
    expect((error as Error).message).toMatch(
      /^node2: a git command is using the checkout \(\.git\/index\.lock is \ds old\)/,
    );
    expect(await sh('node2', `git -C ${CHECKOUT} rev-parse HEAD`)).toBe(repo.commits.fixed);
    await sh('node2', `rm ${CHECKOUT}/.git/index.lock`);
  });

  it('resets a dirty tree: modified, deleted, staged and untracked files; keeps the state directory', async () => {
    const { fixed } = repo.commits;
    await sh(
      'node3',
      [
        `cd ${CHECKOUT}`,
        'echo tampered >> manifests/site.pp',
        'rm README.md',
        'echo staged > staged.pp && git add staged.pp',
        'mkdir -p modules/rogue && echo rogue > modules/rogue/init.pp',
        `echo keep > ${WORK_DIR}/state/applied`,
      ].join(' && '),
    );
    const result = await sync('node3', fixed);
    expect(result.repaired).toEqual(['dirty working tree (modified or untracked files) reset']);
    await expectCheckoutAt('node3', fixed);
    expect(await sh('node3', `cat ${WORK_DIR}/state/applied`)).toBe('keep');
  });

  it('re-clones a missing repository from a full bundle', async () => {
    await sh('node3', `rm -rf ${CHECKOUT}/.git`);
    const result = await sync('node3', repo.commits.fixed);
    expect(calls.at(-1)?.haves).toEqual([]);
    expect(result.sentBytes).toBe(calls.at(-1)?.bytes);
    expect(result.repaired).toEqual(['missing repository: re-cloned from a full bundle']);
    await expectCheckoutAt('node3', repo.commits.fixed);
  });

  it('re-clones a checkout that vanished after an earlier sync', async () => {
    await sh('node3', `rm -rf ${CHECKOUT}`);
    const result = await sync('node3', repo.commits.fixed);
    expect(result.repaired).toEqual(['checkout missing: re-cloned from a full bundle']);
    await expectCheckoutAt('node3', repo.commits.fixed);
  });

  it('re-clones a corrupt repository (objects gone)', async () => {
    await sh('node3', `rm -rf ${CHECKOUT}/.git/objects/pack ${CHECKOUT}/.git/objects/??`);
    const result = await sync('node3', repo.commits.owners);
    expect(result.repaired).toEqual(['corrupt repository: re-cloned from a full bundle']);
    await expectCheckoutAt('node3', repo.commits.owners);
  });

  it('re-clones a repository that looks fine but fails to update (corrupt index)', async () => {
    await sh('node3', `head -c 200 /dev/urandom > ${CHECKOUT}/.git/index`);
    const before = calls.length;
    const result = await sync('node3', repo.commits.fixed);
    expect(result.repaired).toEqual([
      expect.stringMatching(
        /^repository unusable \(fatal: index file corrupt\): re-cloned from a full bundle$/,
      ),
    ]);
    // an incremental bundle first, then the full one
    expect(calls.slice(before).map((call) => call.haves)).toEqual([[repo.commits.owners], []]);
    expect(result.sentBytes).toBe(calls.slice(before).reduce((sum, call) => sum + call.bytes, 0));
    await expectCheckoutAt('node3', repo.commits.fixed);
  });

  it('falls back to a full bundle when the mirror does not know the node commit', async () => {
    await sh(
      'node1',
      `cd ${CHECKOUT} && git -c user.name=x -c user.email=x@x commit -q --allow-empty -m local`,
    );
    const result = await sync('node1', repo.commits.fixed);
    expect(calls.at(-1)?.haves).toEqual([]);
    expect(result.repaired).toEqual([]);
    await expectCheckoutAt('node1', repo.commits.fixed);
  });

  it('refuses anything but a full SHA before touching the node', async () => {
    await expect(sync('node1', 'v2')).rejects.toThrow(/not a full commit SHA: "v2"/);
    await expect(sync('node1', `${repo.commits.fixed}; rm -rf /`)).rejects.toThrow(CodeSyncError);
    await expect(
      syncCode({
        transport,
        node: { ...node('node1'), workDir: '/data/../etc' },
        sha: repo.commits.fixed,
        bundle,
      }),
    ).rejects.toThrow(/workDir must be a plain absolute path/);
  });

  it('reports an unreachable node as NODE_UNREACHABLE', async () => {
    const error = await syncCode({
      transport,
      node: { ...node('node1'), port: 1 },
      sha: repo.commits.fixed,
      bundle,
    }).catch((caught: unknown) => caught);
    expect(isHecklerError(error, 'NODE_UNREACHABLE')).toBe(true);
    expect((error as Error).message).toMatch(
      /^node1: checking the checkout: connection refused by 127\.0\.0\.1:1/,
    );
  });
});

describe('syncCode over the local transport', () => {
  it('syncs, updates incrementally and repairs, on this machine', async () => {
    const local: NodeTransport = createLocalTransport();
    const here: NodeSpec = {
      ...node('node1'),
      name: 'here',
      transport: 'local',
      workDir: join(dir, 'local-node'),
    };
    const first = await syncCode({ transport: local, node: here, sha: repo.commits.owners, bundle });
    expect(first.repaired).toEqual([]);
    await runOk('touch', [join(here.workDir, 'checkout', 'untracked.txt')]);
    const second = await syncCode({ transport: local, node: here, sha: repo.commits.fixed, bundle });
    expect(second.sentBytes).toBeLessThan(first.sentBytes);
    expect(second.repaired).toEqual(['dirty working tree (modified or untracked files) reset']);
    const head = await runOk('git', ['-C', join(here.workDir, 'checkout'), 'rev-parse', 'HEAD']);
    expect(head.stdout.trim()).toBe(repo.commits.fixed);
    await local.close();
  });
});
