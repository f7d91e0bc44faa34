import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openMirror } from '../../../src/adapters/git/mirror.js';
import { groupDeltas, mayApprove } from '../../../src/engine/delta/index.js';
import type { CodeRepo } from '../../../src/engine/ports/index.js';
import { identitiesOf } from '../../../src/engine/review/identity.js';
import { nodeDefinitionsAt } from '../../../src/engine/review/node-definitions-at.js';
import { ownershipOf, pluginCodeIn } from '../../../src/engine/review/ownership.js';
import type { ReviewRecord } from '../../../src/engine/review/records.js';
import { decidersOf, ownerLists } from '../../../src/engine/review/records.js';
import { captureLogger } from '../../support/logger.js';
import { change, delta } from '../delta/support.js';

/**
 * Review integrity, scenario 2: ownership comes from CODEOWNERS at the first parent, per distinct
 * source of a change, with node definitions as the fallback; the writers of a commit — author,
 * co-authors, committer, and the people their GitHub logins map to — never decide on it.
 */
const alice = { name: 'Alice Archer', email: 'alice@example.com' };
const mallory = { name: 'Mallory', email: 'mallory@example.com' };
const chatIds = { '@alice': 'U0ALICE', '@bob': 'U0BOB', '@carol': 'U0CAROL', '@mallory': 'U0MALLORY' };
const people = { 'alice@example.com': 'U0ALICE', 'mallory@example.com': 'U0MALLORY' };
const roles = { admins: ['U0ADMIN'], approvers: [] };

let repo: CodeRepo;
const shas: Record<string, string> = {};

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-ownership-'));
  const work = join(dir, 'work');
  mkdirSync(work);
  const git = (args: string[], who = alice, committer = who) =>
    execFileSync('git', ['-C', work, ...args], {
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: who.name,
        GIT_AUTHOR_EMAIL: who.email,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
      },
    }).trim();
  const commit = (name: string, files: Record<string, string>, who = alice, committer = who) => {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    git(['add', '--all'], who, committer);
    git(['commit', '--quiet', '-m', name], who, committer);
    shas[name] = git(['rev-parse', 'HEAD']);
  };
  git(['init', '--quiet', '--initial-branch=main']);
  commit('base', {
    CODEOWNERS:
      'modules/motd/ @alice\nmodules/webapp/ @bob\n/CODEOWNERS @carol\n/manifests/nodes/web.pp @alice\n/manifests/nodes/db.pp @bob\n',
    'modules/motd/manifests/init.pp': 'class motd {}\n',
    'modules/webapp/manifests/init.pp': 'class webapp {}\n',
    'site/README': 'not owned by anyone\n',
    'manifests/nodes/web.pp': '# web nodes\nnode /^node1\\./ {\n  include motd\n}\n',
    'manifests/nodes/db.pp': "node 'node2.example.com' {\n  include webapp # node 'node1.example.com' {\n}\n",
  });
  commit('plugin', { 'modules/webapp/lib/puppet/functions/workers.rb': '# ruby\n' });
  // A forged author (git takes any name) committed by mallory, making mallory owner of everything.
  commit(
    'takeover',
    { CODEOWNERS: '* @mallory\n', 'modules/webapp/manifests/init.pp': '# 99 workers\n' },
    alice,
    mallory,
  );
  repo = await openMirror({
    url: work,
    dir: join(dir, 'mirror'),
    track: { branch: 'main' },
    logger: captureLogger().logger,
  });
}, 60_000);

const options = (
  changed: readonly string[],
  definingFiles: (certname: string) => readonly string[] = () => [],
) => ({
  chatIds,
  modulePaths: ['modules'],
  certnames: new Map([
    ['node1', 'node1.example.com'],
    ['node2', 'node2.example.com'],
  ]),
  definingFiles,
  changed,
});

/** The same change, declared in two modules on two nodes. */
const twoSources = groupDeltas(
  [
    delta('node1', [
      change({ type: 'File', title: '/etc/limits', file: 'modules/motd/manifests/init.pp', line: 3 }),
    ]),
    delta('node2', [
      change({ type: 'File', title: '/etc/limits', file: 'modules/webapp/manifests/init.pp', line: 9 }),
    ]),
  ],
  { ignored: [] },
);

const recordOf = (fields: Partial<ReviewRecord>): ReviewRecord =>
  ({ evalOwners: [], groupOwners: [], authors: [], ...fields }) as ReviewRecord;

describe('ownership read at the parent', () => {
  it('a commit rewriting CODEOWNERS is judged by the CODEOWNERS it replaces, and needs that file’s owners too', async () => {
    const commit = await repo.commit(shas.takeover as string);
    const grouped = groupDeltas(
      [
        delta('node1', [
          change({ type: 'File', title: '/etc/app.conf', file: 'modules/webapp/manifests/init.pp', line: 1 }),
        ]),
      ],
      { ignored: [] },
    );
    const changed = await repo.changedFiles(commit.sha);
    expect(changed.sort()).toEqual(['CODEOWNERS', 'modules/webapp/manifests/init.pp']);
    const owners = await ownershipOf(repo, commit, grouped, options(changed));
    expect(owners.partOwners).toEqual([
      [{ owners: ['U0BOB'], unmapped: [], source: 'file', of: 'modules/webapp/manifests/init.pp:1' }],
    ]);
    expect(owners.codeownersOwners).toEqual({
      owners: ['U0CAROL'],
      unmapped: [],
      source: 'file',
      of: 'CODEOWNERS',
    });

    const identities = await identitiesOf(commit, {
      people,
      owners: chatIds,
      logger: captureLogger().logger,
    });
    expect(identities.excluded?.sort()).toEqual(['U0ALICE', 'U0MALLORY']);
    const record = recordOf({ ...owners, ...identities });
    const ask = (user: string, userRoles: string[] = []) =>
      mayApprove({
        user,
        roles: new Set(userRoles),
        groupOwners: ownerLists(record),
        excluded: identities.excluded ?? [],
        ...roles,
      });
    // mallory committed it: no approval, whatever the rewritten CODEOWNERS says.
    expect(ask('U0MALLORY')).toMatchObject({ ok: false, reason: 'author' });
    // bob owns the change but not CODEOWNERS, carol the reverse: neither alone.
    expect(ask('U0BOB')).toMatchObject({ ok: false, reason: 'not_owner' });
    expect(ask('U0CAROL')).toMatchObject({ ok: false, reason: 'not_owner' });
    expect(ask('U0ADMIN', ['admin'])).toEqual({ ok: true, as: 'admin' });
    expect(decidersOf(record, roles)).toEqual({ owners: [], approvers: [], admins: ['U0ADMIN'] });
  });

  it('the author as git names it is excluded, and so is whoever GitHub says wrote it', async () => {
    const commit = await repo.commit(shas.plugin as string);
    const identities = await identitiesOf(commit, {
      people: {},
      owners: chatIds,
      github: async () => ({
        authorLogin: 'bob',
        committerLogin: 'web-flow',
        verified: false,
        verificationReason: 'unsigned',
      }),
      logger: captureLogger().logger,
    });
    expect(identities.unmappedAuthors).toEqual(['Alice Archer <alice@example.com>']);
    expect(identities.excluded).toEqual(['U0BOB']);
    expect(identities.github).toMatchObject({ authorLogin: 'bob', verified: false, chatIds: ['U0BOB'] });
    const failing = await identitiesOf(commit, {
      people,
      owners: chatIds,
      github: async () => {
        throw new Error('Bad credentials');
      },
      logger: captureLogger().logger,
    });
    expect(failing.github).toEqual({ error: 'Bad credentials' });
    expect(failing.excluded).toEqual(['U0ALICE']);
  });
});

describe('ownership per distinct source', () => {
  it('an identical change from two modules lists both sources, and an owner of one cannot approve it', async () => {
    expect(twoSources.groups).toHaveLength(1);
    expect(twoSources.groups[0]?.sources).toEqual([
      { file: 'modules/motd/manifests/init.pp', line: 3, nodes: ['node1'] },
      { file: 'modules/webapp/manifests/init.pp', line: 9, nodes: ['node2'] },
    ]);
    const commit = await repo.commit(shas.plugin as string);
    const owners = await ownershipOf(repo, commit, twoSources, options([]));
    expect(owners.partOwners[0]?.map((part) => [part.of, part.owners])).toEqual([
      ['modules/motd/manifests/init.pp:3', ['U0ALICE']],
      ['modules/webapp/manifests/init.pp:9', ['U0BOB']],
    ]);
    const record = recordOf(owners);
    const ask = (user: string) =>
      mayApprove({ user, roles: new Set(), groupOwners: ownerLists(record), excluded: [], ...roles });
    expect(ask('U0BOB')).toMatchObject({ ok: false, reason: 'not_owner', whoCan: ['U0ADMIN'] });
    expect(ask('U0ALICE')).toMatchObject({ ok: false, reason: 'not_owner' });
  });

  it('a change no file or module owner claims belongs to the owners of the files defining its nodes', async () => {
    const commit = await repo.commit(shas.plugin as string);
    const unowned = groupDeltas(
      [
        delta('node1', [change({ type: 'File', title: '/etc/site', file: 'site/README', line: 1 })]),
        delta('node2', [change({ type: 'File', title: '/etc/site', file: 'site/README', line: 1 })]),
      ],
      { ignored: [] },
    );
    const definedIn = (certname: string) =>
      certname === 'node1.example.com'
        ? ['modules/motd/manifests/init.pp']
        : ['modules/webapp/manifests/init.pp'];
    const owners = await ownershipOf(repo, commit, unowned, options([], definedIn));
    expect(owners.partOwners[0]?.map((part) => [part.source, part.of, part.owners])).toEqual([
      ['nodes', 'node definitions in modules/motd/manifests/init.pp', ['U0ALICE']],
      ['nodes', 'node definitions in modules/webapp/manifests/init.pp', ['U0BOB']],
    ]);
    // Read from the repository itself: `puppet.manifest` a directory of node files.
    const definers = await nodeDefinitionsAt(
      repo,
      'manifests',
      captureLogger().logger,
    )(commit.parents[0] as string);
    expect(definers('node1.example.com')).toEqual(['manifests/nodes/web.pp']);
    expect(definers('node2.example.com')).toEqual(['manifests/nodes/db.pp']);
    expect(definers('node3.example.com')).toEqual([]);
    // Asked again for the same commit (every review of commits sharing a parent), git is not read again.
    let listed = 0;
    const counting: CodeRepo = {
      ...repo,
      listFiles: (sha, dir) => {
        listed++;
        return repo.listFiles(sha, dir);
      },
    };
    const at = nodeDefinitionsAt(counting, 'manifests', captureLogger().logger);
    await at(commit.parents[0] as string);
    await at(commit.parents[0] as string);
    expect(listed).toBe(1);
    const read = await ownershipOf(repo, commit, unowned, options([], definers));
    expect(read.partOwners[0]?.map((part) => [part.of, part.owners])).toEqual([
      ['node definitions in manifests/nodes/db.pp', ['U0BOB']],
      ['node definitions in manifests/nodes/web.pp', ['U0ALICE']],
    ]);
    // Without node definitions it has no owner at all: only approvers and admins decide.
    const none = await ownershipOf(repo, commit, unowned, options([]));
    expect(none.partOwners[0]).toEqual([{ owners: [], unmapped: [], source: 'none', of: 'site/README:1' }]);
  });
});

describe('code Puppet runs while nooping', () => {
  it.each<[string, boolean]>([
    ['modules/webapp/lib/puppet/functions/workers.rb', true],
    ['modules/x/lib/puppet/reports/heckler.rb', true],
    ['modules/x/lib/facter/role.rb', true],
    ['modules/x/templates/app.conf.erb', true],
    ['modules/x/templates/app.conf.epp', true],
    ['modules/x/facts.d/role.sh', true],
    ['lib/puppet/type/thing.rb', true],
    ['modules/x/manifests/init.pp', false],
    ['modules/x/files/library.rb', false],
    ['README.md', false],
  ])('%s → %s', (path, flagged) => {
    expect(pluginCodeIn([path])).toEqual(flagged ? [path] : []);
  });
});
