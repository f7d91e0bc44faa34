import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureInstalled, runOk } from './process.js';

/** The people of the fixture repo: commit authors, co-authors and CODEOWNERS handles. */
export const people = {
  alice: { name: 'Alice Archer', email: 'alice@example.com', handle: '@alice' },
  bob: { name: 'Bob Baker', email: 'bob@example.com', handle: '@bob' },
  carol: { name: 'Carol Cooper', email: 'carol@example.com', handle: '@carol' },
  dave: { name: 'Dave', email: 'dave@example.com', handle: '@dave' },
  erin: { name: 'Erin Evans', email: 'erin@example.com', handle: '@erin' },
} as const;
type Person = (typeof people)[keyof typeof people];

export interface PuppetRepoFixture {
  /** A non-bare repository with `main` checked out; clone it by path or by `url`. */
  path: string;
  url: string;
  /** Full SHAs; see `createPuppetRepo` for what each commit does. */
  commits: {
    initial: string;
    motdChange: string;
    feature: string;
    merge: string;
    coauthored: string;
    owners: string;
    broken: string;
    fixed: string;
    hotfix: string;
    brokenNode3: string;
  };
  /** Tag name → the commit it points at; `v1` and `v1.1` are annotated, `v2` lightweight. */
  tags: Record<'v1' | 'v1.1' | 'v2', { commit: string; annotated: boolean }>;
  branches: Record<'main' | 'feature/x' | 'hotfix/v1.1' | 'broken/node3', string>;
}

const SITE = `# Every node gets the message of the day and the web app.
node default {
  include motd
  include webapp
}
`;
const SITE_WITH_CANARY = `# node2 is the canary: it gets a marker file that no other node has.
node 'node2.example.com' {
  include motd
  include webapp
  file { '/data/canary':
    ensure  => file,
    content => "This node gets changes first.\\n",
  }
}

${SITE}`;

const motd = (content: string) => `# The message of the day, under /data so that each test node has its own.
class motd {
  file { '/data/motd':
    ensure  => file,
    mode    => '0644',
    content => ${content},
  }
}
`;
const WELCOME = 'Welcome to the Heckler test fleet.\\n';
const KIND = 'Be kind to each other.\\n';

const webapp = (workers: number, { reload = false, failOn }: { reload?: boolean; failOn?: string } = {}) => {
  const guard = failOn
    ? `  if $trusted['certname'] == '${failOn}' {\n    fail('webapp does not support ${failOn} yet')\n  }\n`
    : '';
  const exec = reload
    ? `
  # Only runs when app.conf changes: a noop says "Would have triggered 'refresh' from 1 event".
  exec { 'reload webapp':
    command     => 'touch /data/webapp/reloaded',
    path        => ['/usr/bin', '/bin'],
    refreshonly => true,
    subscribe   => File['/data/webapp/app.conf'],
  }
`
    : '';
  return `# A pretend web application: a config file and, later, a reload hook.
class webapp {
${guard}  file { '/data/webapp':
    ensure => directory,
  }
  file { '/data/webapp/app.conf':
    ensure  => file,
    content => "port = 8080\\nworkers = ${workers}\\n",
  }
${exec}}
`;
};

// `/manifests/` is anchored: a bare `manifests/` would, as on GitHub, match every module's manifests/ too.
const codeowners = (webappOwners: string) => `# Who reviews what (GitHub CODEOWNERS syntax).
modules/motd/ @alice
modules/webapp/ ${webappOwners}
/manifests/ @carol
`;

/**
 * Builds a Puppet control repo with the real git CLI. Every commit has a fixed author, committer
 * and date, so the SHAs are the same on every machine. Certnames are `nodeN.example.com`.
 *
 * main:  initial ─ motdChange (v1) ─────────── merge ─ coauthored ─ owners ─ broken ─ fixed (v2)
 *                     │ └─ feature (feature/x) ─┘                                      └─ brokenNode3 (broken/node3)
 *                     └─ hotfix (hotfix/v1.1, v1.1)
 *
 * - initial (carol): /data/motd, /data/webapp/app.conf, CODEOWNERS. All nodes.
 * - motdChange (alice): motd gains a line. All nodes; tag v1 (annotated).
 * - feature (bob, on feature/x): app.conf workers 2→4 + refreshonly exec 'reload webapp'. All nodes.
 * - merge (carol): --no-ff merge of feature/x; adds nothing of its own.
 * - coauthored (erin, Co-authored-by: Dave): node2 only gets /data/canary.
 * - owners (carol): CODEOWNERS gives modules/webapp/ to @bob @erin; no Puppet change.
 * - broken (alice): motd calls the undefined function motd_banner(): compile error on every node.
 * - fixed (dave): motd names the node (content differs per node). All nodes; tag v2 (lightweight).
 * - hotfix (carol, on hotfix/v1.1 off v1): motd announces maintenance; tag v1.1 (annotated).
 * - brokenNode3 (bob, on broken/node3 off v2): workers 4→8, and fail() on node3.example.com only.
 */
export const createPuppetRepo = async (dir: string): Promise<PuppetRepoFixture> => {
  ensureInstalled([{ command: 'git', pkg: 'git' }]);
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length > 0) throw new Error(`createPuppetRepo needs an empty directory: ${dir}`);
  let clock = Date.parse('2024-03-01T09:00:00Z') / 1000;
  let as: Person = people.carol;
  const git = async (...args: string[]) => {
    const date = `@${clock} +0000`;
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: as.name,
      GIT_AUTHOR_EMAIL: as.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: as.name,
      GIT_COMMITTER_EMAIL: as.email,
      GIT_COMMITTER_DATE: date,
    };
    const { stdout } = await runOk('git', ['-C', dir, ...args], { env });
    return stdout.trim();
  };
  const write = (files: Record<string, string>) => {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
  };
  const commit = async (who: Person, message: string, files: Record<string, string>) => {
    as = who;
    clock += 3600;
    write(files);
    await git('add', '--all');
    await git('commit', '--quiet', '--no-verify', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  const tag = async (who: Person, name: string, message?: string) => {
    as = who;
    clock += 60;
    await git('tag', ...(message ? ['-a', '-m', message] : []), name);
  };

  await git('init', '--quiet', '--initial-branch=main');
  await git('config', 'commit.gpgsign', 'false');
  await git('config', 'tag.gpgsign', 'false');
  await git('config', 'core.autocrlf', 'false');
  const motdPath = 'modules/motd/manifests/init.pp';
  const webappPath = 'modules/webapp/manifests/init.pp';
  const initial = await commit(people.carol, 'Initial Puppet code: motd and webapp', {
    CODEOWNERS: codeowners('@bob'),
    'README.md': '# Puppet control repo (Heckler test fixture)\n',
    'manifests/site.pp': SITE,
    [motdPath]: motd(`"${WELCOME}"`),
    [webappPath]: webapp(2),
  });
  const motdChange = await commit(people.alice, 'motd: ask people to be kind', {
    [motdPath]: motd(`"${WELCOME}${KIND}"`),
  });
  await tag(people.carol, 'v1', 'Release v1');

  await git('switch', '--quiet', '-c', 'feature/x');
  const feature = await commit(people.bob, 'webapp: four workers, reload on config change', {
    [webappPath]: webapp(4, { reload: true }),
  });
  await git('switch', '--quiet', 'main');
  as = people.carol;
  clock += 3600;
  await git('merge', '--quiet', '--no-ff', '-m', "Merge branch 'feature/x'", 'feature/x');
  const merge = await git('rev-parse', 'HEAD');

  const coauthored = await commit(
    people.erin,
    'site: make node2 the canary\n\nCo-authored-by: Dave <dave@example.com>',
    { 'manifests/site.pp': SITE_WITH_CANARY },
  );
  const owners = await commit(people.carol, 'CODEOWNERS: erin co-owns webapp', {
    CODEOWNERS: codeowners('@bob @erin'),
  });
  const broken = await commit(people.alice, 'motd: use a banner function', {
    [motdPath]: motd('motd_banner()'),
  });
  const fixed = await commit(people.dave, 'motd: name the node instead of calling a missing function', {
    [motdPath]: motd(`"${WELCOME}${KIND}This is \${trusted['certname']}.\\n"`),
  });
  await tag(people.dave, 'v2');

  await git('switch', '--quiet', '-c', 'broken/node3');
  const brokenNode3 = await commit(people.bob, 'webapp: eight workers (node3 cannot take it)', {
    [webappPath]: webapp(8, { reload: true, failOn: 'node3.example.com' }),
  });
  await git('switch', '--quiet', '-c', 'hotfix/v1.1', 'v1');
  const hotfix = await commit(people.carol, 'motd: announce maintenance', {
    [motdPath]: motd(`"${WELCOME}${KIND}Maintenance tonight at 22:00 UTC.\\n"`),
  });
  await tag(people.carol, 'v1.1', 'Hotfix release v1.1');
  await git('switch', '--quiet', 'main');

  return {
    path: dir,
    url: pathToFileURL(dir).href,
    commits: { initial, motdChange, feature, merge, coauthored, owners, broken, fixed, hotfix, brokenNode3 },
    tags: {
      v1: { commit: motdChange, annotated: true },
      'v1.1': { commit: hotfix, annotated: true },
      v2: { commit: fixed, annotated: false },
    },
    branches: { main: fixed, 'feature/x': feature, 'hotfix/v1.1': hotfix, 'broken/node3': brokenNode3 },
  };
};

export interface PuppetApplyOptions {
  /** The checkout as seen on the node. */
  workDir: string;
  certname: string;
  noop: boolean;
  /** Default `/data/puppet/var` and `/data/puppet/conf`: per node, inside its /data. */
  vardir?: string;
  confdir?: string;
  /** Where the YAML report goes; a fresh path per run avoids reading a stale report after a compile error. */
  lastRunReport?: string;
  /** Also log as JSON here (compile errors have no report, but get a JSON entry with file/line/issue_code). */
  jsonLog?: string;
}

/**
 * The shell command that runs the real `puppet apply` for a checkout, as the bot would. Exit codes
 * with --detailed-exitcodes: 0 nothing changed (and ALSO a noop with pending changes — Puppet 7
 * counts noop events as out-of-sync, not as changes), 2 changes applied, 1 compile error, 4/6 failures.
 */
export const puppetApplyCommand = (options: PuppetApplyOptions): string => {
  const vardir = options.vardir ?? '/data/puppet/var';
  const confdir = options.confdir ?? '/data/puppet/conf';
  const args = [
    'puppet apply',
    ...(options.noop ? ['--noop'] : []),
    '--detailed-exitcodes --show_diff --color=false',
    `--vardir ${vardir} --confdir ${confdir}`,
    `--modulepath ${options.workDir}/modules --certname ${options.certname}`,
    ...(options.lastRunReport ? [`--lastrunreport ${options.lastRunReport}`] : []),
    ...(options.jsonLog ? [`--logdest console --logdest ${options.jsonLog}`] : []),
    `${options.workDir}/manifests/site.pp`,
  ];
  return args.join(' ');
};

/** Shell command: clone `url` into `workDir` unless already there, fetch if `rev` is missing, check it out. */
export const checkoutCommand = (url: string, workDir: string, rev: string): string =>
  `(test -d ${workDir}/.git || git clone --quiet ${url} ${workDir}) && ` +
  `(git -C ${workDir} rev-parse --quiet --verify ${rev}^{commit} >/dev/null || git -C ${workDir} fetch --quiet --tags origin) && ` +
  `git -C ${workDir} checkout --quiet --force --detach ${rev}`;
