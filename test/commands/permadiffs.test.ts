import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPermadiffService, type ScanSummary } from '../../src/engine/permadiffs/service.js';
import type { PermadiffGroup } from '../../src/engine/permadiffs/state.js';
import { systemClock } from '../../src/engine/ports/index.js';
import type { NormalizedReport } from '../../src/engine/puppet/types.js';
import { createNoopCache } from '../../src/engine/review/noop-cache.js';
import { appliedStatePath } from '../../src/engine/runs/applied-state.js';
import { captureLogger } from '../support/logger.js';
import { type ReviewWorld, startReviewWorld } from '../support/review-world.js';

/**
 * The permadiff scan on three real SSH nodes with real Puppet: an Exec that runs every time, and
 * a file that names its host and is edited by hand on node2 and node3 (so the two diffs differ
 * only by the host and must still be one group). Owners come from CODEOWNERS at the applied
 * revision. A dirty node is listed as not scanned; fixing the manifest resolves both.
 */
let world: ReviewWorld;
let dispatch: (user: string, line: string) => Promise<string>;

const DRIFT = `# Drift on purpose: an exec without unless/creates, a file people edit by hand.
class drift {
  exec { 'touch /data/always':
    command => '/bin/true',
    path    => ['/bin', '/usr/bin'],
  }
  file { '/data/drift.conf':
    ensure  => file,
    content => "managed on \${trusted['certname']}\\n",
  }
}
`;
const SITE = (drift: boolean) => `node default {
  include motd
  include webapp
${drift ? '  include drift\n' : ''}}
`;
const CODEOWNERS = `modules/motd/ @alice
modules/webapp/ @bob @erin
modules/drift/ @erin
/manifests/ @carol
`;

const applyEverywhere = async (sha: string) => {
  await world.composed.repo.fetch();
  const runs = await world.composed.service.runSha(sha, world.composed.service.nodes(), 'apply', 'U0ADMIN');
  expect(runs.flatMap((run) => (run.reached ? [] : [`${run.node}: ${run.error}`]))).toEqual([]);
};
const editByHand = async () => {
  for (const node of ['node2', 'node3'])
    await world.fleet.ssh(world.fleet.node(node), "printf 'edited by hand\\n' > /data/drift.conf");
};
const setDirty = async (node: string, dirty: boolean) => {
  const spec = world.composed.service.nodes().find((n) => n.name === node);
  if (!spec) throw new Error(`no ${node}`);
  const path = appliedStatePath(spec);
  await world.fleet.ssh(
    world.fleet.node(node),
    `sed -i 's/"dirty":${!dirty}/"dirty":${dirty}/' ${path} && grep -q '"dirty":${dirty}' ${path}`,
  );
};

beforeAll(async () => {
  world = await startReviewWorld();
  // The world's bot, as composeApp builds it, answers permadiffs and scan too.
  dispatch = (user, line) => world.dispatch(user, line);
}, 180_000);

afterAll(async () => {
  await world?.close();
});

describe('permadiffs on a real fleet', { timeout: 300_000 }, () => {
  it('says no scan has run, and only admins may scan', async () => {
    expect(await dispatch('U0NOBODY', 'permadiffs')).toContain('No permadiff scan has run yet');
    expect(await dispatch('U0ALICE', 'scan')).toMatch(/needs the admin role|admin/);
  });

  it('calls a change a permadiff after two scans in a row, grouped across hosts, with owners', async () => {
    const sha = world.commit('drift: an always-running exec and a hand-edited file', {
      'modules/drift/manifests/init.pp': DRIFT,
      'manifests/site.pp': SITE(true),
      CODEOWNERS,
    });
    await applyEverywhere(sha);
    await editByHand();

    expect(await dispatch('U0ADMIN', 'scan')).toMatch(/3 nodes scanned, 0 permadiffs standing/);
    expect(await dispatch('U0NOBODY', 'permadiffs')).toContain('No permadiffs.');

    // A scan already running is not started twice.
    const running = world.composed.permadiffs.scan({ by: 'U0ADMIN' });
    expect(await dispatch('U0ADMIN', 'scan')).toContain('a permadiff scan is already running');
    await running;

    const text = await dispatch('U0NOBODY', 'permadiffs');
    expect(text).toContain('*2 permadiffs*');
    expect(text).toMatch(/\*Exec\[touch \/data\/always\]\* on node\{1\.\.3\}/);
    expect(text).toMatch(/\*File\[\/data\/drift\.conf\]\* on node\{2,3\}/);
    expect(text).toContain('owners: <@U0ERIN>');
    expect(text).toContain('`modules/drift/manifests/init.pp:3`');
    expect(text).toContain('`modules/drift/manifests/init.pp:7`');
    expect(text).toContain('+managed on {{node}}');
    expect(text).toContain('2 scans in a row');
    expect(text).toContain('3 nodes scanned');

    expect(await dispatch('U0NOBODY', 'permadiffs --node node1')).toMatch(
      /\*1 permadiff\* on node1[\s\S]*Exec/,
    );
    expect(await dispatch('U0NOBODY', 'permadiffs --owner @erin')).toContain('*2 permadiffs* owned by @erin');
    expect(await dispatch('U0NOBODY', 'permadiffs --owner @bob')).toContain('No permadiffs owned by @bob.');
    expect(await dispatch('U0NOBODY', 'permadiffs --new')).toContain('*2 permadiffs* new in the last scan');
    expect(await dispatch('U0NOBODY', 'permadiffs --node nosuch')).toContain("unknown node 'nosuch'");
  });

  it('keeps its state in the store, and a scheduled tick during a scan does not start another', async () => {
    // A second service over the same namespaces: what it reads was stored, not held in memory.
    const { logger, text } = captureLogger();
    const other = createPermadiffService({
      repo: world.composed.repo,
      fleet: world.composed.service,
      cache: createNoopCache({
        fleet: world.composed.service,
        store: world.storage.store<NormalizedReport>('noops'),
        ttlMs: 60_000,
      }),
      groups: world.storage.store<PermadiffGroup>('permadiffs'),
      scans: world.storage.store<ScanSummary>('permadiff-scans'),
      minRuns: 2,
      owners: { chatIds: world.config.approvals.owners, modulePaths: world.config.puppet.modulepath },
      clock: systemClock,
      logger,
    });
    const before = await other.current();
    expect(before.groups.map((group) => group.resource.title).sort()).toEqual([
      '/data/drift.conf',
      'touch /data/always',
    ]);
    const scanning = other.scan({ by: 'U0ADMIN' });
    await other.scheduled();
    await scanning;
    expect(text()).toContain('permadiff scan skipped: the previous one is still running');
    expect(text().match(/permadiff scan finished/g)).toHaveLength(1);
  });

  it('lists a dirty node as not scanned, keeping what it had', async () => {
    await setDirty('node1', true);
    expect(await dispatch('U0ADMIN', 'scan')).toMatch(
      /2 nodes scanned[\s\S]*Could not scan 1 node[\s\S]*node1 \(dirty/,
    );
    const text = await dispatch('U0NOBODY', 'permadiffs');
    expect(text).toMatch(/Exec\[touch \/data\/always\]\* on node\{1\.\.3\}/);
    expect(text).toMatch(/Could not scan 1 node .*node1 \(dirty/);
    expect(await dispatch('U0NOBODY', 'permadiffs --new')).toContain('No permadiffs new in the last scan.');
  });

  it('resolves both once the manifest is fixed and applied', async () => {
    const sha = world.commit('drift: gone', { 'manifests/site.pp': SITE(false) });
    await applyEverywhere(sha);
    expect(await dispatch('U0ADMIN', 'scan node1,node2,node3')).toMatch(
      /3 nodes scanned, 0 permadiffs standing/,
    );
    expect(await dispatch('U0NOBODY', 'permadiffs')).toContain('No permadiffs.');
    const { groups } = await world.composed.permadiffs.current();
    const resolved = groups.filter((group) => group.resolvedAt !== undefined).map((g) => g.resource.title);
    expect(resolved.sort()).toEqual(['/data/drift.conf', 'touch /data/always']);
  });
});
