import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureInstalled, runOk } from './process.js';

/**
 * Puppet control repositories whose modules carry report processors (`lib/puppet/reports/*.rb`),
 * for tests of what a checkout can do to the processor Heckler runs. Real git, fixed dates.
 *
 * Each repository manages one file, `/data/<name>/motd` (its `motd` class on every node), so that
 * several of them can share a test fleet.
 */
export interface PluginRepo {
  /** A non-bare repository with `main` checked out. */
  path: string;
  url: string;
  /** Names what it manages: `/data/<name>/motd`. */
  name: string;
  /** The managed file, as seen on a node. */
  motdFile: string;
  /** Full SHAs on main, oldest first. */
  commits: string[];
  /** Commits `files` (repository path → content; null deletes) on main; returns the full SHA. */
  commit(message: string, files: Record<string, string | null>): Promise<string>;
}

export interface PluginRepoOptions {
  /** Default `plugins`. Lowercase letters, digits and dashes. */
  name?: string;
  /** The first commit already vendors the old Heckler daemon's module (`oldDaemonProcessor`). */
  vendorOldHeckler?: boolean;
  /** The motd's first text (default `first`). */
  motd?: string;
}

/** Where a module's report processor lives: `modules/<module>/lib/puppet/reports/<report>.rb`. */
export const processorPath = (module: string, report: string): string =>
  `modules/${module}/lib/puppet/reports/${report}.rb`;

const rubyString = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const REPORT_NAME = /^[a-z_][a-z0-9_]*$/;

/** On a node, what the old daemon's processor leaves behind when Puppet runs it. */
export const oldDaemonTrace = (repo: Pick<PluginRepo, 'name'>): string =>
  `/data/old-heckler-ran-${repo.name}`;

/**
 * A stand-in for the processor that repositories of the old Heckler daemon vendor as
 * `modules/heckler`: registered as `heckler`, it writes no reduced report, only a trace file.
 */
export const oldDaemonProcessor = (
  trace: string,
): string => `# The old Heckler daemon's report processor (test stand-in).
require 'puppet'

Puppet::Reports.register_report(:heckler) do
  desc 'Old Heckler daemon processor: records that it ran.'

  def process
    File.write(${rubyString(trace)}, "#{host}\\n")
  end
end
`;

/**
 * A processor registered as \`report\` that writes a well-formed reduced report saying that nothing
 * changed, whatever Puppet saw: what a hostile commit would ship to get itself auto-approved.
 */
export const forgedProcessor = (report: string): string => {
  if (!REPORT_NAME.test(report)) throw new Error(`bad report processor name '${report}'`);
  return `# Forges an all-quiet report (test fixture).
require 'json'
require 'puppet'

Puppet::Reports.register_report(:${report}) do
  desc 'Writes a reduced report that says nothing changed.'

  def process
    out = ENV.fetch('HECKLER_REPORT_OUT', '')
    return if out.empty?

    File.write(out, JSON.generate(
      'format' => 1, 'host' => host, 'environment' => environment.to_s, 'status' => 'unchanged',
      'noop' => noop ? true : false, 'noop_pending' => false, 'transaction_completed' => true,
      'configuration_version' => configuration_version.to_s, 'puppet_version' => puppet_version.to_s,
      'time' => time.iso8601(3), 'timing' => {}, 'resources' => {}, 'events' => {},
      'resource_statuses' => [], 'logs' => []
    ))
  end
end
`;
};

const motdClass = (
  name: string,
  text: string,
) => `# One file per repository, under /data so that each test node has its own.
class motd {
  file { '/data/${name}':
    ensure => directory,
  }
  file { '/data/${name}/motd':
    ensure  => file,
    content => "${text}\\n",
  }
}
`;

const NAME = /^[a-z0-9][a-z0-9-]*$/;
const TEXT = /^[A-Za-z0-9 .,:-]*$/;

export const createPluginRepo = async (dir: string, options: PluginRepoOptions = {}): Promise<PluginRepo> => {
  ensureInstalled([{ command: 'git', pkg: 'git' }]);
  const name = options.name ?? 'plugins';
  if (!NAME.test(name)) throw new Error(`bad plugin repo name '${name}'`);
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length > 0) throw new Error(`createPluginRepo needs an empty directory: ${dir}`);
  let clock = Date.parse('2024-05-01T09:00:00Z') / 1000;
  const git = async (...args: string[]) => {
    const date = `@${clock} +0000`;
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Mallory Mason',
      GIT_AUTHOR_EMAIL: 'mallory@example.com',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: 'Mallory Mason',
      GIT_COMMITTER_EMAIL: 'mallory@example.com',
      GIT_COMMITTER_DATE: date,
    };
    return (await runOk('git', ['-C', dir, ...args], { env })).stdout.trim();
  };
  const repo: PluginRepo = {
    path: dir,
    url: pathToFileURL(dir).href,
    name,
    motdFile: `/data/${name}/motd`,
    commits: [],
    async commit(message, files) {
      clock += 3600;
      for (const [path, content] of Object.entries(files)) {
        const target = join(dir, path);
        if (content === null) {
          rmSync(target, { force: true });
          continue;
        }
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, content);
      }
      await git('add', '--all');
      await git('commit', '--quiet', '--no-verify', '--allow-empty', '-m', message);
      const sha = await git('rev-parse', 'HEAD');
      repo.commits.push(sha);
      return sha;
    },
  };
  await git('init', '--quiet', '--initial-branch=main');
  await git('config', 'commit.gpgsign', 'false');
  await repo.commit('Initial Puppet code: one motd', {
    'manifests/site.pp': 'node default {\n  include motd\n}\n',
    'modules/motd/manifests/init.pp': motdClass(name, motdText(options.motd ?? 'first')),
    ...(options.vendorOldHeckler
      ? { [processorPath('heckler', 'heckler')]: oldDaemonProcessor(oldDaemonTrace(repo)) }
      : {}),
  });
  return repo;
};

const motdText = (text: string) => {
  if (!TEXT.test(text)) throw new Error(`motd text must be plain words: ${JSON.stringify(text)}`);
  return text;
};

/** A commit changing the motd's text (and, with `files`, anything else). */
export const setMotd = (repo: PluginRepo, text: string, files: Record<string, string | null> = {}) =>
  repo.commit(`motd: ${text}`, {
    'modules/motd/manifests/init.pp': motdClass(repo.name, motdText(text)),
    ...files,
  });

/**
 * The hostile commit: changes the motd to `motd` and adds `processorPath(module, report)`, a
 * processor forging an all-quiet report (`forgedProcessor`).
 */
export const addForgedProcessor = (
  repo: PluginRepo,
  options: { module: string; report: string; motd: string },
): Promise<string> =>
  setMotd(repo, options.motd, {
    [processorPath(options.module, options.report)]: forgedProcessor(options.report),
  });
