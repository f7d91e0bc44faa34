import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runOk } from '../../support/process.js';

/**
 * Commits the shared fixture repo (test/support/puppet-repo.ts) lacks, added on top of it in a
 * scratch copy: an apply where one resource fails (and one depending on it is skipped), a defined
 * type, and a catalog big enough to show what reducing the report saves.
 */

const WEBAPP_FAILING = `# A pretend web application (Heckler capture: an apply where one resource fails).
class webapp {
  file { '/data/webapp':
    ensure => directory,
  }
  file { '/data/webapp/app.conf':
    ensure  => file,
    content => "port = 8080\\nworkers = 5\\n",
  }
  exec { 'reload webapp':
    command     => 'touch /data/webapp/reloaded',
    path        => ['/usr/bin', '/bin'],
    refreshonly => true,
    subscribe   => File['/data/webapp/app.conf'],
  }
  webapp::vhost { 'main':
    port => 8081,
  }
  # Its parent directory does not exist: this resource fails.
  file { '/data/missing/dir/notes':
    ensure  => file,
    content => "notes\\n",
  }
  # Depends on the failed file: skipped.
  exec { 'after notes':
    command => 'touch /data/after-notes',
    path    => ['/usr/bin', '/bin'],
    require => File['/data/missing/dir/notes'],
  }
}
`;

const VHOST = `# One virtual host of the web app: a defined type, so its resources sit inside Webapp::Vhost[title].
define webapp::vhost (Integer $port) {
  file { "/data/webapp/vhost-\${title}.conf":
    ensure  => file,
    content => "listen = \${port}\\n",
  }
}
`;

const MANY = (changed: number) => `# ${LARGE_COUNT} files: a catalog the size of a real node's.
class many {
  file { '/data/many':
    ensure => directory,
  }
  Integer[1, ${LARGE_COUNT}].each |$i| {
    file { "/data/many/file-\${i}":
      ensure  => file,
      content => $i ? { ${changed} => "changed \${i}\\n", default => "file \${i}\\n" },
    }
  }
}
`;

export const LARGE_COUNT = 3000;

const SITE_LARGE = `node default {
  include motd
  include webapp
  include many
}
`;

export interface ExtraCommits {
  /** On top of `fixed` (v2): webapp workers 4→5, a vhost, a file that cannot be created, an exec that depends on it. */
  failing: string;
  /** On top of `fixed`: ${LARGE_COUNT} more managed files. */
  large: string;
  /** On top of `large`: one of those files changes. */
  largeChange: string;
}

export const addExtraCommits = async (repo: string, base: string): Promise<ExtraCommits> => {
  const env = {
    PATH: process.env.PATH,
    HOME: repo,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Heckler Capture',
    GIT_AUTHOR_EMAIL: 'capture@example.com',
    GIT_AUTHOR_DATE: '@1710000000 +0000',
    GIT_COMMITTER_NAME: 'Heckler Capture',
    GIT_COMMITTER_EMAIL: 'capture@example.com',
    GIT_COMMITTER_DATE: '@1710000000 +0000',
  };
  const git = async (...args: string[]) => (await runOk('git', ['-C', repo, ...args], { env })).stdout.trim();
  const commit = async (branch: string, from: string, message: string, files: Record<string, string>) => {
    await git('switch', '--quiet', '--force', '-C', branch, from);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(repo, path)), { recursive: true });
      writeFileSync(join(repo, path), content);
    }
    await git('add', '--all');
    await git('commit', '--quiet', '--no-verify', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  const failing = await commit('capture/failing', base, 'webapp: vhost, notes file (fails), five workers', {
    'modules/webapp/manifests/init.pp': WEBAPP_FAILING,
    'modules/webapp/manifests/vhost.pp': VHOST,
  });
  const large = await commit('capture/large', base, `many: ${LARGE_COUNT} files`, {
    'manifests/site.pp': SITE_LARGE,
    'modules/many/manifests/init.pp': MANY(0),
  });
  const largeChange = await commit('capture/large', large, 'many: change one file', {
    'modules/many/manifests/init.pp': MANY(7),
  });
  await git('switch', '--quiet', '--force', 'main');
  return { failing, large, largeChange };
};
