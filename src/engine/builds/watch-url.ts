import { HecklerError } from '../errors.js';
import { escapeText } from '../text/mrkdwn.js';

/**
 * Which repositories `/heckler watch` may add. Git clones them with the bot's own credentials
 * (SSH keys, credential helpers) and on the bot's network, so from chat only URLs under an admin's
 * `builds.allowedUrls` are watched, and local repositories (paths, file://) never: an admin names
 * those in `builds.repos`.
 *
 * URLs and patterns are compared as `host[:port]/path` after normalising what git accepts for
 * the same repository: `https://github.com/acme/api.git`, `ssh://git@github.com/acme/api` and
 * `git@github.com:acme/api` are all `github.com/acme/api`. The host is compared whole and the
 * path on whole segments, so `github.com/acme/` allows neither `github.com.evil.test/acme/x` nor
 * `evil.test/github.com/acme/x` nor `github.com/acme-evil/x`.
 */

export interface RemoteUrl {
  /** `https`, `http`, `ssh` (also for scp-like `user@host:path`) or `git`. */
  scheme: string;
  /** Lower-case, with `:port` only when it is not the scheme's default. */
  host: string;
  /** Without leading or trailing `/` and without a final `.git`; may be empty. */
  path: string;
}

export type ReadUrl =
  | { kind: 'remote'; url: RemoteUrl }
  | { kind: 'local' }
  | { kind: 'invalid'; why: string };

const defaultPorts: Record<string, string> = { https: '443', http: '80', ssh: '22', git: '9418' };
const schemeAliases: Record<string, string> = { 'git+ssh': 'ssh', 'ssh+git': 'ssh' };
const HOST = /^(?:[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?|\[[0-9a-f:.]+\])$/;

/** `undefined` scheme (an allowedUrls entry without one): any port is kept as written. */
const hostOf = (rawHost: string, port: string, scheme: string | undefined): string | undefined => {
  const host = rawHost.toLowerCase().replace(/\.$/, '');
  if (!HOST.test(host)) return undefined;
  return port === '' || (scheme !== undefined && port === defaultPorts[scheme]) ? host : `${host}:${port}`;
};

/** Segments as written: `..` or `.` could step out of an allowed prefix once the server resolves them. */
const pathOf = (raw: string): string | { why: string } => {
  const segments = raw.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    return { why: 'its path has "." or ".." segments; write the plain path' };
  }
  return segments.join('/').replace(/\.git$/, '');
};

type Read = { url: RemoteUrl } | { why: string };

/** `host[:port][/path]` after `scheme://` (any user part dropped); `scheme` undefined: any. */
const readAuthorityAndPath = (rest: string, scheme: string | undefined): Read => {
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const port = /:(\d{1,5})$/.exec(hostPort)?.[1] ?? '';
  const host = hostOf(port === '' ? hostPort : hostPort.slice(0, -port.length - 1), port, scheme);
  if (host === undefined) return { why: `"${hostPort}" is not a host name` };
  const path = pathOf(slash < 0 ? '' : rest.slice(slash));
  return typeof path === 'string' ? { url: { scheme: scheme ?? '', host, path } } : path;
};

const remote = (read: Read): ReadUrl =>
  'url' in read ? { kind: 'remote', url: read.url } : { kind: 'invalid', why: read.why };

/** Reads a URL as git would, just far enough to know the host and path it reaches. */
export const readRepoUrl = (raw: string): ReadUrl => {
  const text = raw.trim();
  // Characters git URLs never need and that parsers disagree about (`\` is `/` to WHATWG, not
  // to curl; `%2e%2e` is `..` to a server).
  if (/[\s\\%?#<>|"'`^{}]/.test(text) || /\p{Cc}/u.test(text)) {
    return {
      kind: 'invalid',
      why: 'it contains spaces, %-escapes or characters such as \\ ? # that a git URL does not need',
    };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'file' || /^file:/i.test(text)) return { kind: 'local' };
  if (scheme !== undefined) {
    const name = schemeAliases[scheme] ?? scheme;
    if (!(name in defaultPorts)) {
      return {
        kind: 'invalid',
        why: `${scheme}:// is not a transport git is used with here (https, http, ssh, git)`,
      };
    }
    return remote(readAuthorityAndPath(text.slice(scheme.length + 3), name));
  }
  // git's scp-like syntax: `[user@]host:path`, recognised when a colon comes before any slash.
  const scp = /^(?:[^@/:]+@)?([^@/:]+):(.*)$/.exec(text);
  if (scp) {
    const host = hostOf(scp[1] ?? '', '', 'ssh');
    if (host === undefined) return { kind: 'invalid', why: `"${scp[1]}" is not a host name` };
    const path = pathOf(scp[2] ?? '');
    return remote(typeof path === 'string' ? { url: { scheme: 'ssh', host, path } } : path);
  }
  // Anything else is a path to git, relative or absolute.
  return { kind: 'local' };
};

export const describeUrl = (url: RemoteUrl): string =>
  url.path === '' ? url.host : `${url.host}/${url.path}`;

export interface UrlPrefix {
  /** Absent: any of the transports. */
  scheme?: string;
  host: string;
  /** Empty: every repository on the host. */
  path: string;
}

/** An entry of `builds.allowedUrls`: `github.com/acme/`, `git.example.com`, `https://git.example.com:8443/ci/`. */
export const readUrlPrefix = (pattern: string): UrlPrefix | { why: string } => {
  const expected = 'expected a host or a host and path prefix such as github.com/acme/ or git.example.com';
  if (/[*?]/.test(pattern)) return { why: `${expected} (no wildcards: a prefix allows everything under it)` };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(pattern);
  // Read as a URL for its checks; a bare entry is then read again keeping any port as written.
  const read = readRepoUrl(withScheme ? pattern : `https://${pattern}`);
  if (pattern.includes('@') || /^[/.~]/.test(pattern) || read.kind === 'local') {
    return { why: `${expected}; local paths and file:// URLs belong in builds.repos` };
  }
  if (read.kind === 'invalid') return { why: `${expected} (${read.why})` };
  if (withScheme) return read.url;
  const bare = readAuthorityAndPath(pattern, undefined);
  return 'url' in bare ? { host: bare.url.host, path: bare.url.path } : { why: `${expected} (${bare.why})` };
};

export const underPrefix = (url: RemoteUrl, prefix: UrlPrefix): boolean =>
  (prefix.scheme === undefined || prefix.scheme === url.scheme) &&
  (prefix.host === url.host || prefix.host === `${url.host}:${defaultPorts[url.scheme]}`) &&
  (prefix.path === '' || url.path === prefix.path || url.path.startsWith(`${prefix.path}/`));

/** What an admin would add to allow this URL: its host and first path segment. */
const suggestion = (url: RemoteUrl): string =>
  `${url.host}/${url.path.split('/')[0] ?? ''}/`.replace(/\/+$/, '/');

/** Local repositories are the admin's to watch: from chat they would read the bot's own disk. */
export const localRepoRefused = (raw: string): HecklerError =>
  new HecklerError(
    'NOT_AUTHORIZED',
    escapeText(`${raw} is a local repository (a path or file:// URL), which only heckler.yml can watch`),
    { hint: 'an admin adds it under builds.repos in heckler.yml and restarts the bot' },
  );

/**
 * Refuses a URL typed in chat unless it is remote and under `builds.allowedUrls`; returns the
 * normalised URL it was allowed as. The error says what was refused and which key allows it.
 */
export const checkWatchUrl = (raw: string, allowedUrls: readonly string[]): RemoteUrl => {
  const read = readRepoUrl(raw);
  if (read.kind === 'local') throw localRepoRefused(raw);
  if (read.kind === 'invalid') {
    throw new HecklerError('USAGE', escapeText(`${raw} cannot be watched: ${read.why}`), {
      hint: 'give an https:// or ssh:// URL, or user@host:path',
    });
  }
  const prefixes = allowedUrls.map(readUrlPrefix).filter((prefix): prefix is UrlPrefix => 'host' in prefix);
  if (prefixes.some((prefix) => underPrefix(read.url, prefix))) return read.url;
  const add = `an admin adds ${suggestion(read.url)} (or the repository itself) to builds.allowedUrls in heckler.yml and restarts the bot`;
  if (allowedUrls.length === 0) {
    throw new HecklerError(
      'NOT_AUTHORIZED',
      escapeText(
        `watching from chat is off: builds.allowedUrls is empty, so only the repositories in heckler.yml are watched (${raw} was refused)`,
      ),
      { hint: escapeText(add) },
    );
  }
  throw new HecklerError(
    'NOT_AUTHORIZED',
    escapeText(
      `${raw} (${describeUrl(read.url)}) is not under builds.allowedUrls (${allowedUrls.join(', ')})`,
    ),
    { hint: escapeText(`watch a repository under those, or ${add}`) },
  );
};
