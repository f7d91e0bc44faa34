import { describe, expect, it } from 'vitest';
import { buildsSchema } from '../../../src/config/builds-schema.js';
import { checkWatchUrl, readRepoUrl, readUrlPrefix } from '../../../src/engine/builds/watch-url.js';
import { HecklerError } from '../../../src/engine/errors.js';

/** What `/heckler watch` may clone: normalised before matching, refused with the key that allows it. */
const allowed = ['github.com/acme/', 'git.example.com', 'https://code.example.org:8443/ci'];

const refusal = (url: string, list: readonly string[] = allowed): { code: string; text: string } => {
  try {
    checkWatchUrl(url, list);
  } catch (error) {
    if (!(error instanceof HecklerError)) throw error;
    return { code: error.code, text: `${error.message}\n${error.hint}` };
  }
  throw new Error(`expected ${url} to be refused`);
};

describe('readRepoUrl', () => {
  it.each([
    ['https://github.com/acme/api.git', 'https', 'github.com', 'acme/api'],
    ['https://GitHub.COM:443/acme/api/', 'https', 'github.com', 'acme/api'],
    ['https://user:token@github.com/acme/api', 'https', 'github.com', 'acme/api'],
    ['ssh://git@github.com/acme/api.git', 'ssh', 'github.com', 'acme/api'],
    ['ssh://git@github.com:22/acme/api', 'ssh', 'github.com', 'acme/api'],
    ['ssh://git@git.example.com:2222/acme/api', 'ssh', 'git.example.com:2222', 'acme/api'],
    ['git+ssh://git@github.com/acme/api', 'ssh', 'github.com', 'acme/api'],
    ['git@github.com:acme/api.git', 'ssh', 'github.com', 'acme/api'],
    ['git@github.com:/acme/api', 'ssh', 'github.com', 'acme/api'],
    ['git://127.0.0.1:9418/web', 'git', '127.0.0.1', 'web'],
    ['https://github.com./acme/api', 'https', 'github.com', 'acme/api'],
  ])('%s is %s://%s/%s', (url, scheme, host, path) => {
    expect(readRepoUrl(url)).toEqual({ kind: 'remote', url: { scheme, host, path } });
  });

  it.each([
    '/srv/git/api.git',
    './api',
    '../api',
    '~/api',
    'api',
    'file:///srv/git/api',
    'FILE://x',
    'file:x',
  ])('%s is local', (url) => {
    expect(readRepoUrl(url)).toEqual({ kind: 'local' });
  });

  it.each([
    ['https://github.com/acme/../evil/x', 'its path has "." or ".." segments; write the plain path'],
    ['git@github.com:acme/./x', 'its path has "." or ".." segments; write the plain path'],
    ['https://github.com/acme/%2e%2e/evil', expect.stringMatching(/%-escapes/)],
    ['https://github.com\\@evil.test/acme/x', expect.stringMatching(/characters such as \\/)],
    ['https://github.com/acme/x?u=1', expect.stringMatching(/characters such as/)],
    ['ext::sh -c touch% /tmp/pwned', expect.stringMatching(/spaces/)],
    ['ftp://github.com/acme/x', 'ftp:// is not a transport git is used with here (https, http, ssh, git)'],
    ['ssh://-oProxyCommand=x/acme', '"-oProxyCommand=x" is not a host name'],
    ['-oProxyCommand=x:acme/y', '"-oProxyCommand=x" is not a host name'],
  ])('%s is refused: %s', (url, why) => {
    expect(readRepoUrl(url)).toEqual({ kind: 'invalid', why });
  });
});

describe('checkWatchUrl', () => {
  it.each([
    ['https://github.com/acme/api.git', 'github.com/acme/api'],
    ['ssh://git@github.com/acme/tools/cli', 'github.com/acme/tools/cli'],
    ['git@github.com:acme/api.git', 'github.com/acme/api'],
    ['git@git.example.com:anyone/anything', 'git.example.com/anyone/anything'],
    ['https://code.example.org:8443/ci/jobs.git', 'code.example.org:8443/ci/jobs'],
  ])('allows %s (%s)', (url, normalised) => {
    const { host, path } = checkWatchUrl(url, allowed);
    expect(`${host}/${path}`).toBe(normalised);
  });

  it.each([
    ['https://github.com.evil.test/acme/x', 'github.com.evil.test/acme/x'],
    ['https://evil.test/github.com/acme/x', 'evil.test/github.com/acme/x'],
    ['https://github.com@evil.test/acme/x', 'evil.test/acme/x'],
    ['https://github.com/acme-evil/x', 'github.com/acme-evil/x'],
    ['https://github.com/other/acme/x', 'github.com/other/acme/x'],
    ['git@evil.test:acme/x', 'evil.test/acme/x'],
    ['ssh://git@git.example.com.evil.test/x', 'git.example.com.evil.test/x'],
    // The prefix names https on port 8443: neither another port nor ssh to the same host.
    ['https://code.example.org/ci/jobs', 'code.example.org/ci/jobs'],
    ['ssh://git@code.example.org:8443/ci/jobs', 'code.example.org:8443/ci/jobs'],
  ])('refuses %s, naming it as %s and the key that allows it', (url, normalised) => {
    expect(refusal(url)).toEqual({
      code: 'NOT_AUTHORIZED',
      text: expect.stringContaining(
        `(${normalised}) is not under builds.allowedUrls (github.com/acme/, git.example.com, https://code.example.org:8443/ci)\nwatch a repository under those, or an admin adds`,
      ),
    });
  });

  it.each(['/srv/git/secrets.git', 'file:///etc', 'file:///srv/git/api.git'])(
    'refuses the local repository %s whatever the list allows',
    (url) => {
      expect(refusal(url, [...allowed, 'localhost'])).toEqual({
        code: 'NOT_AUTHORIZED',
        text: `${url} is a local repository (a path or file:// URL), which only heckler.yml can watch\nan admin adds it under builds.repos in heckler.yml and restarts the bot`,
      });
    },
  );

  it('says watching from chat is off while builds.allowedUrls is empty, and how to allow it', () => {
    expect(refusal('git@github.com:acme/api.git', [])).toEqual({
      code: 'NOT_AUTHORIZED',
      text:
        'watching from chat is off: builds.allowedUrls is empty, so only the repositories in heckler.yml are watched (git@github.com:acme/api.git was refused)\n' +
        'an admin adds github.com/acme/ (or the repository itself) to builds.allowedUrls in heckler.yml and restarts the bot',
    });
  });

  it('refuses what cannot be read as a URL, saying why', () => {
    expect(refusal('https://github.com/acme/../evil/x')).toEqual({
      code: 'USAGE',
      text: 'https://github.com/acme/../evil/x cannot be watched: its path has "." or ".." segments; write the plain path\ngive an https:// or ssh:// URL, or user@host:path',
    });
  });
});

describe('builds.allowedUrls in heckler.yml', () => {
  it('defaults to empty and reads hosts and prefixes', () => {
    expect(buildsSchema.parse({}).allowedUrls).toEqual([]);
    expect(buildsSchema.parse({ allowedUrls: allowed }).allowedUrls).toEqual(allowed);
    expect(readUrlPrefix('git.example.com:2222/team/')).toEqual({
      host: 'git.example.com:2222',
      path: 'team',
    });
  });

  it.each([
    ['/srv/git', 'local paths and file:// URLs belong in builds.repos'],
    ['file:///srv/git', 'local paths and file:// URLs belong in builds.repos'],
    ['*.example.com', 'no wildcards'],
    ['git@github.com:acme', 'local paths and file:// URLs belong in builds.repos'],
    ['github.com/acme/../x', '"." or ".." segments'],
  ])('refuses %s', (entry, why) => {
    const parsed = buildsSchema.safeParse({ allowedUrls: [entry] });
    expect(parsed.error?.issues[0]?.path).toEqual(['allowedUrls', 0]);
    expect(parsed.error?.issues[0]?.message).toContain(why);
    expect(parsed.error?.issues[0]?.message).toContain(`found "${entry}"`);
  });
});
