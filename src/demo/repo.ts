import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  DEMO_AUTHORS,
  DEMO_NODES,
  type DemoAuthor,
  demoFilesDir,
  demoNodeDir,
  demoRepoDir,
  PLAIN_ABSOLUTE_PATH,
} from './config.js';

const run = promisify(execFile);

/** What a demo node has before Puppet ever ran on it, as a hand-configured machine would. */
export const SEED_FILES: Readonly<Record<string, string>> = {
  motd: 'Welcome!\n',
  'app.conf': 'port = 8080\nworkers = 1\n',
};

/** The commits of the demo repository, oldest first; tags point at the commit before them. */
export const DEMO_HISTORY = [
  { author: DEMO_AUTHORS.alice, subject: 'Initial demo code: motd and app', tag: 'v1' },
  { author: DEMO_AUTHORS.dave, subject: 'motd: say which node this is' },
  { author: DEMO_AUTHORS.bob, subject: 'app: four workers, reload on config change', tag: 'v2' },
] as const;

const site = (
  dir: string,
) => `# The Heckler demo: three nodes on one machine, each with a folder of its own under
# ${dir}/nodes. Everything in this repository manages files there, and nothing else.
node default {
  include motd
  include app
}
`;

// Titles are short names and the node's path a parameter: the same change on every node then reads
// the same, and Heckler groups it across nodes.
const demoClass = (dir: string) => `# Where this node's demo files live: its own folder in the demo directory.
class demo {
  $files = "${dir}/nodes/\${trusted['certname']}/files"

  file { 'files':
    ensure => directory,
    path   => $files,
  }
}
`;

const motd = (lines: string) => `# The message of the day.
class motd {
  include demo

  file { 'motd':
    ensure  => file,
    path    => "\${demo::files}/motd",
    mode    => '0644',
    content => "${lines}",
  }
}
`;
const WELCOME = 'Welcome to the Heckler demo.\\n';

const app = (
  workers: number,
  reload: boolean,
) => `# A pretend application: its configuration file${reload ? ', and a reload when it changes' : ''}.
class app {
  include demo

  file { 'app.conf':
    ensure  => file,
    path    => "\${demo::files}/app.conf",
    mode    => '0644',
    content => "port = 8080\\nworkers = ${workers}\\n",
  }
${
  reload
    ? `
  # Runs only when app.conf changes: a noop says "would trigger a refresh".
  exec { 'reload app':
    command     => "touch \${demo::files}/reloaded",
    path        => ['/usr/bin', '/bin'],
    refreshonly => true,
    subscribe   => File['app.conf'],
  }
`
    : ''
}}
`;

// `/manifests/` is anchored: a bare `manifests/` would match every module's manifests/ too.
const CODEOWNERS = `# Who reviews what (GitHub CODEOWNERS syntax).
/manifests/ @alice
modules/demo/ @alice
modules/motd/ @bob
modules/app/ @carol
`;

const README = `# Heckler demo Puppet repository

Created by Heckler's demo (\`demo:\` in heckler.yml). Commit here and the bot reviews your commit
within a minute; \`/heckler noop HEAD\` reviews it at once.
`;

/**
 * Creates the demo repository at `<dir>/repo`: three commits by the demo authors with fixed dates,
 * tags v1 (annotated) and v2 (annotated). The absolute `dir` is written into the manifests, which
 * manage files under `<dir>/nodes/<certname>/files` only. Built beside its place and renamed, so a
 * crash never leaves a half repository that a restart would take for the real one. git runs with
 * the PATH of `childEnv` (the bot's config.childEnv), never this process's environment.
 */
export const createDemoRepo = async (
  dir: string,
  childEnv: Readonly<{ PATH?: string }> = {},
): Promise<string> => {
  if (!PLAIN_ABSOLUTE_PATH.test(dir)) throw new Error(`demo dir must be a plain absolute path, got ${dir}`);
  const target = demoRepoDir(dir);
  const building = `${target}.creating-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  let clock = Date.parse('2024-03-01T09:00:00Z') / 1000;
  const git = async (as: DemoAuthor, ...args: string[]) => {
    const date = `@${clock} +0000`;
    const env = {
      PATH: childEnv.PATH ?? '/usr/bin:/bin',
      HOME: building,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: as.name,
      GIT_AUTHOR_EMAIL: as.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: as.name,
      GIT_COMMITTER_EMAIL: as.email,
      GIT_COMMITTER_DATE: date,
    };
    await run('git', ['-C', building, ...args], { env });
  };
  const commit = async (index: number, files: Record<string, string>) => {
    const step = DEMO_HISTORY[index];
    if (!step) throw new Error(`no demo commit ${index}`);
    clock += 3600;
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(building, path)), { recursive: true });
      writeFileSync(join(building, path), content);
    }
    await git(step.author, 'add', '--all');
    await git(step.author, 'commit', '--quiet', '--no-verify', '-m', step.subject);
    if ('tag' in step) {
      clock += 60;
      await git(step.author, 'tag', '-a', '-m', `Demo release ${step.tag}`, step.tag);
    }
  };
  try {
    await git(DEMO_AUTHORS.alice, 'init', '--quiet', '--initial-branch=main');
    for (const [key, value] of [
      ['commit.gpgsign', 'false'],
      ['tag.gpgsign', 'false'],
      ['core.autocrlf', 'false'],
    ]) {
      await git(DEMO_AUTHORS.alice, 'config', key as string, value as string);
    }
    await commit(0, {
      CODEOWNERS,
      'README.md': README,
      'manifests/site.pp': site(dir),
      'modules/demo/manifests/init.pp': demoClass(dir),
      'modules/motd/manifests/init.pp': motd(WELCOME),
      'modules/app/manifests/init.pp': app(2, false),
    });
    await commit(1, {
      'modules/motd/manifests/init.pp': motd(`${WELCOME}This is \${trusted['certname']}.\\n`),
    });
    await commit(2, { 'modules/app/manifests/init.pp': app(4, true) });
    renameSync(building, target);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    throw error;
  }
  return target;
};

export interface DemoPrepared {
  /** The repository's path, and whether it was made just now (it is left alone when it exists). */
  repo: string;
  createdRepo: boolean;
  /** Nodes whose directories were made just now, with their seed files. */
  createdNodes: string[];
}

/**
 * What the demo needs on disk, made where missing: the repository and each node's folder with the
 * files a machine would have before Puppet (so the first noop shows real diffs). Never touches
 * anything outside `dir`, and never anything that exists.
 */
export const prepareDemo = async (
  dir: string,
  env: Readonly<{ PATH?: string }> = {},
): Promise<DemoPrepared> => {
  mkdirSync(dir, { recursive: true });
  const repo = demoRepoDir(dir);
  const createdRepo = !existsSync(repo);
  if (createdRepo) await createDemoRepo(dir, env);
  const createdNodes: string[] = [];
  for (const node of DEMO_NODES) {
    if (existsSync(demoNodeDir(dir, node))) continue;
    const files = demoFilesDir(dir, node);
    mkdirSync(files, { recursive: true });
    for (const [name, content] of Object.entries(SEED_FILES)) writeFileSync(join(files, name), content);
    createdNodes.push(node);
  }
  return { repo, createdRepo, createdNodes };
};
