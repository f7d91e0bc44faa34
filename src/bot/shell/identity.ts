import { userInfo } from 'node:os';
import type { Config } from '../../config/schema.js';
import { HecklerError } from '../../engine/errors.js';
import { didYouMean } from '../../engine/text/suggest.js';

/**
 * Who the terminal is. A Slack user is who Slack says; a terminal user is the operating-system
 * account running the shell, mapped to a chat user by `shell.users`. Only the demo, or a config
 * that says `shell.allowImpersonation: true`, lets the terminal act as anyone else.
 */
export interface ShellIdentity {
  /** The chat user the session starts as. */
  user: string;
  /** The OS account running the terminal: every request the shell sends carries it. */
  osUser: string;
  /** The chat user `shell.users` maps `osUser` to; absent in the demo when it maps nobody. */
  mappedTo?: string;
  /** `demo`: anyone may be anyone; `allowed`: shell.allowImpersonation; `refused`: `/as` is off. */
  impersonation: 'demo' | 'allowed' | 'refused';
  /** The config file, named when saying how to allow impersonation. */
  configPath: string;
}

/**
 * The name of the OS account running this process, from the user database (not from $USER, which
 * anyone can set). Undefined when the uid has no entry (some containers).
 */
export const currentOsUser = (): string | undefined => {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
};

type IdentityConfig = Pick<Config, 'demo' | 'shell' | 'users' | 'roles' | 'actAs' | 'path'>;

/**
 * Decides who the terminal starts as, before anything else is started. Throws a one-line
 * HecklerError (no hint: the line says what to do) when the terminal must not start.
 */
export const resolveShellIdentity = (config: IdentityConfig, osUser: string | undefined): ShellIdentity => {
  const { shell, users } = config;
  const asFlag = config.actAs === undefined ? undefined : resolveUser(config.actAs, users);
  if (asFlag && !asFlag.ok) throw new HecklerError('USAGE', `--as: ${asFlag.error}`);
  const chosen = asFlag?.id ?? shell.user;
  if (config.demo) {
    const mappedTo = osUser === undefined ? undefined : shell.users[osUser];
    return {
      user: chosen ?? mappedTo ?? config.roles.admins[0] ?? 'U_SHELL',
      osUser: osUser ?? `uid ${process.getuid?.() ?? '?'}`,
      ...(mappedTo ? { mappedTo } : {}),
      impersonation: 'demo',
      configPath: config.path,
    };
  }
  if (osUser === undefined) {
    throw new HecklerError(
      'CONFIG_INVALID',
      `cannot tell which OS user runs heckler (uid ${process.getuid?.() ?? '?'} has no name in the user database), so the terminal will not start: run it as a user with a name and map that name in shell.users`,
    );
  }
  const mappedTo = shell.users[osUser];
  if (mappedTo === undefined) {
    throw new HecklerError(
      'CONFIG_INVALID',
      `OS user ${osUser} is not mapped to a chat user, so the terminal will not start: add it to ${config.path} as shell.users: { ${osUser}: U... } (your chat user id)`,
    );
  }
  // shell.user without allowImpersonation is refused by the schema; --as is refused here.
  if (asFlag && !shell.allowImpersonation) {
    throw new HecklerError(
      'USAGE',
      `--as chooses who the terminal acts as, which needs shell.allowImpersonation: true in ${config.path}; without --as you are ${displayUser(mappedTo, users)}, mapped from OS user ${osUser}`,
    );
  }
  return {
    user: chosen ?? mappedTo,
    osUser,
    mappedTo,
    impersonation: shell.allowImpersonation ? 'allowed' : 'refused',
    configPath: config.path,
  };
};

/** `@alice (U0ALICE)`, or the bare id for a user without a name. */
export const displayUser = (id: string, users: Readonly<Record<string, string>>) =>
  users[id] ? `@${users[id]} (${id})` : id;

/** How the acting user came to be, after `You are @x (U…)`: empty in the demo, as always. */
export const howYouAre = (identity: ShellIdentity, user: string, users: Readonly<Record<string, string>>) => {
  if (identity.impersonation === 'demo') return '';
  if (user === identity.mappedTo) return `, mapped from OS user ${identity.osUser}`;
  const own = identity.mappedTo ? ` (who is ${displayUser(identity.mappedTo, users)})` : '';
  return `, impersonated by OS user ${identity.osUser}${own}`;
};

export const banner = (identity: ShellIdentity, users: Readonly<Record<string, string>>) => {
  const who = displayUser(identity.user, users);
  const switching =
    identity.impersonation === 'refused'
      ? ''
      : identity.impersonation === 'allowed'
        ? ' Act as someone else: /as NAME (shell.allowImpersonation is on).'
        : ' Act as someone else: /as NAME.';
  return [
    `Heckler shell. You are ${who}${howYouAre(identity, identity.user, users)}.`,
    `Type /heckler help. Press a button with: click N.${switching} Leave: exit`,
  ].join('\n');
};

/** Why `/as` does nothing here, and how to change that. */
export const impersonationRefused = (identity: ShellIdentity, users: Readonly<Record<string, string>>) =>
  `/as is off: this terminal is ${displayUser(identity.user, users)}, mapped from OS user ${identity.osUser}, ` +
  `and may act as no one else. To allow it (a test setup, not a production bot), set ` +
  `shell.allowImpersonation: true in ${identity.configPath}; requests still record the OS user.`;

type Resolved = { ok: true; id: string } | { ok: false; error: string };

/** A name from `users:` (any case) or a user id. */
export const resolveUser = (
  wanted: string | undefined,
  users: Readonly<Record<string, string>>,
): Resolved => {
  const known = Object.entries(users).map(([id, n]) => `${n} (${id})`);
  if (!wanted)
    return { ok: false, error: `usage: /as NAME or /as USERID; known users: ${known.join(', ') || 'none'}` };
  const byName = Object.entries(users).find(([, n]) => n.toLowerCase() === wanted.toLowerCase());
  if (byName) return { ok: true, id: byName[0] };
  if (/^[A-Z0-9_]{2,40}$/.test(wanted)) return { ok: true, id: wanted };
  return {
    ok: false,
    error: `unknown user '${wanted}'${didYouMean(wanted, Object.values(users))}; known users: ${known.join(', ') || 'none'} (or give a user id such as U024BE7LH)`,
  };
};
