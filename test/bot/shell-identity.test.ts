import { describe, expect, it } from 'vitest';
import { resolveShellIdentity } from '../../src/bot/shell/identity.js';
import type { Config } from '../../src/config/schema.js';
import { HecklerError } from '../../src/engine/errors.js';
import { testConfig } from '../support/config.js';

const config = (shell: Record<string, unknown>, extra: Partial<Config> = {}) => testConfig({ shell }, extra);
const demo = (shell: Record<string, unknown> = {}, extra: Partial<Config> = {}) =>
  testConfig({ shell, demo: { dir: '/tmp/heckler-demo' } }, extra);

const refusal = (fn: () => unknown): HecklerError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof HecklerError) return error;
    throw error;
  }
  throw new Error('expected the terminal to be refused');
};

describe('who the terminal is, outside the demo', () => {
  it('is the chat user shell.users maps the OS user to, and /as is off', () => {
    expect(resolveShellIdentity(config({ users: { ada: 'U0ADMIN', abe: 'U0APPLIER' } }), 'abe')).toEqual({
      user: 'U0APPLIER',
      osUser: 'abe',
      mappedTo: 'U0APPLIER',
      impersonation: 'refused',
      configPath: '/test/heckler.yml',
    });
  });

  it('refuses an unmapped OS user in one line naming the user and the key to add', () => {
    const error = refusal(() => resolveShellIdentity(config({ users: { ada: 'U0ADMIN' } }), 'bob'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(
      'OS user bob is not mapped to a chat user, so the terminal will not start: ' +
        'add it to /test/heckler.yml as shell.users: { bob: U... } (your chat user id)',
    );
    expect(error.hint).toBeUndefined();
  });

  it('refuses an OS user the system cannot name', () => {
    const error = refusal(() => resolveShellIdentity(config({ users: { ada: 'U0ADMIN' } }), undefined));
    expect(error.message).toMatch(/^cannot tell which OS user runs heckler \(uid \d+ has no name/);
  });

  it('never falls back to the first admin', () => {
    expect(() => resolveShellIdentity(config({}), 'root')).toThrow(/OS user root is not mapped/);
  });

  it('refuses --as without shell.allowImpersonation, naming the key', () => {
    const error = refusal(() =>
      resolveShellIdentity(config({ users: { ada: 'U0ADMIN' } }, { actAs: 'abe' }), 'ada'),
    );
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(
      '--as chooses who the terminal acts as, which needs shell.allowImpersonation: true in /test/heckler.yml; ' +
        'without --as you are @ada (U0ADMIN), mapped from OS user ada',
    );
  });

  it('with shell.allowImpersonation, --as (a name or an id) and then shell.user choose who it starts as', () => {
    const allowed = { users: { ada: 'U0ADMIN' }, allowImpersonation: true, user: 'U0NOBODY' };
    expect(resolveShellIdentity(config(allowed, { actAs: 'abe' }), 'ada')).toMatchObject({
      user: 'U0APPLIER',
      osUser: 'ada',
      mappedTo: 'U0ADMIN',
      impersonation: 'allowed',
    });
    expect(resolveShellIdentity(config(allowed, { actAs: 'U0OTHER' }), 'ada').user).toBe('U0OTHER');
    expect(resolveShellIdentity(config(allowed), 'ada').user).toBe('U0NOBODY');
    // Impersonation does not stand in for the mapping: the OS user behind every request must be known.
    expect(() => resolveShellIdentity(config(allowed), 'bob')).toThrow(/OS user bob is not mapped/);
  });
});

describe('who the terminal is, in the demo', () => {
  it('anyone may be anyone, and an unmapped OS user is fine: --as, then shell.user, then the first admin', () => {
    expect(resolveShellIdentity(demo(), 'root')).toEqual({
      user: 'U0ADMIN',
      osUser: 'root',
      impersonation: 'demo',
      configPath: '/test/heckler.yml',
    });
    expect(resolveShellIdentity(demo({ user: 'U0NOBODY' }), 'root').user).toBe('U0NOBODY');
    expect(resolveShellIdentity(demo({ user: 'U0NOBODY' }, { actAs: 'abe' }), 'root').user).toBe('U0APPLIER');
    expect(resolveShellIdentity(demo({}, { actAs: 'U0DAVE' }), 'root').user).toBe('U0DAVE');
  });

  it('an unknown --as name is a usage error with a suggestion', () => {
    expect(refusal(() => resolveShellIdentity(demo({}, { actAs: 'abbe' }), 'root')).message).toMatch(
      /^--as: unknown user 'abbe' \(did you mean 'abe'\?\)/,
    );
  });
});
