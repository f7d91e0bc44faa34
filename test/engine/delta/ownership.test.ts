import { describe, expect, it } from 'vitest';
import { parseCodeowners } from '../../../src/engine/delta/codeowners.js';
import {
  chatIdsOf,
  moduleDirOf,
  type OwnershipOptions,
  ownersOfChange,
  ownersOfEvalError,
} from '../../../src/engine/delta/ownership.js';
import type { ResourceChange } from '../../../src/engine/puppet/types.js';
import { change, real } from './support.js';

const chatIds = {
  '@alice': 'U0ALICE',
  '@Bob': 'U0BOB',
  '@org/web': ['U0ERIN', 'U0BOB'],
  'dave@example.com': 'U0DAVE',
};

/** The fixture repo's CODEOWNERS after `owners` (test/support/puppet-repo.ts). */
const fixture: OwnershipOptions = {
  codeowners: parseCodeowners('modules/motd/ @alice\nmodules/webapp/ @bob @erin\n/manifests/ @carol\n'),
  chatIds,
};

describe('ownersOfChange: file owners, else module owners, else node definition owners', () => {
  const withFileRule: OwnershipOptions = {
    ...fixture,
    codeowners: parseCodeowners(
      'modules/webapp/ @bob\n/manifests/ @carol\nmodules/webapp/manifests/vhost.pp @org/web dave@example.com\n*.erb\n',
    ),
  };
  const cases: [string, ResourceChange, OwnershipOptions, object][] = [
    ['the motd file (real)', real.motd(), fixture, { owners: ['U0ALICE'], unmapped: [], source: 'file' }],
    [
      'webapp: @erin has no chat user',
      real.appConf(),
      fixture,
      { owners: ['U0BOB'], unmapped: ['@erin'], source: 'file' },
    ],
    [
      'a team maps to several users, no repeats',
      real.vhost(),
      withFileRule,
      { owners: ['U0ERIN', 'U0BOB', 'U0DAVE'], unmapped: [], source: 'file' },
    ],
    [
      'the file is unowned (`*.erb` without owners): its module’s owners',
      change({ type: 'File', title: '/x', file: 'modules/webapp/templates/x.erb' }),
      withFileRule,
      { owners: ['U0BOB'], source: 'module' },
    ],
    [
      'no file, but a defined type names the module',
      change({ type: 'File', title: '/x', defineType: 'Webapp::Vhost[main]' }),
      fixture,
      { owners: ['U0BOB'], unmapped: ['@erin'], source: 'module' },
    ],
    [
      'a defined type’s own resource',
      change({ type: 'Motd::Banner', title: 'x' }),
      fixture,
      { owners: ['U0ALICE'], source: 'module' },
    ],
    [
      'a module nobody owns: the node definitions’ owners',
      change({ type: 'File', title: '/x', file: 'modules/ntp/manifests/init.pp' }),
      fixture,
      { owners: [], unmapped: ['@carol'], source: 'nodes' },
    ],
    [
      'declared in site.pp',
      change({ type: 'File', title: '/x', file: 'manifests/site.pp' }),
      fixture,
      { unmapped: ['@carol'], source: 'file' },
    ],
    [
      'nobody at all',
      change({ type: 'File', title: '/x' }),
      { ...fixture, codeowners: parseCodeowners('') },
      { owners: [], unmapped: [], source: 'none' },
    ],
  ];
  it.each(cases)('%s', (_, resource, options, expected) => {
    expect(ownersOfChange(resource, options)).toMatchObject(expected);
  });

  it('other module paths and node definitions come from config', () => {
    const options: OwnershipOptions = {
      codeowners: parseCodeowners('site/profile/ @alice\nnodes/ dave@example.com\n'),
      chatIds,
      modulePaths: ['modules', 'site/'],
      nodeDefinitions: 'nodes/',
    };
    const resource = change({ type: 'File', title: '/x', file: 'site/profile/manifests/base.pp' });
    expect(ownersOfChange(resource, options)).toMatchObject({ owners: ['U0ALICE'], source: 'file' });
    expect(ownersOfChange(change({ type: 'File', title: '/x' }), options)).toMatchObject({
      owners: ['U0DAVE'],
      source: 'nodes',
    });
  });
});

describe('ownersOfEvalError', () => {
  it('the file the error names (the real broken motd)', () => {
    const error = {
      message: "Unknown function: 'motd_banner'.",
      file: 'modules/motd/manifests/init.pp',
      line: 6,
    };
    expect(ownersOfEvalError(error, fixture)).toMatchObject({ owners: ['U0ALICE'], source: 'file' });
  });
  it('no file: the node definitions’ owners', () => {
    expect(ownersOfEvalError({ message: 'x' }, fixture)).toMatchObject({
      unmapped: ['@carol'],
      source: 'nodes',
    });
  });
});

describe('moduleDirOf', () => {
  const cases: [Pick<ResourceChange, 'file' | 'type' | 'defineType'>, string | undefined][] = [
    [{ type: 'File', file: 'modules/motd/manifests/init.pp' }, 'modules/motd/'],
    [{ type: 'File', file: 'manifests/site.pp' }, undefined],
    [{ type: 'File', defineType: 'Webapp::Vhost[main]' }, 'modules/webapp/'],
    [{ type: 'Webapp::Vhost' }, 'modules/webapp/'],
    [{ type: 'File' }, undefined],
  ];
  it.each(cases)('%j → %s', (resource, dir) => expect(moduleDirOf(resource)).toBe(dir));
});

describe('chatIdsOf', () => {
  it('maps case-insensitively and keeps order', () => {
    expect(chatIdsOf(['@bob', '@ALICE', '@nobody', 'Dave@Example.com'], chatIds)).toEqual({
      owners: ['U0BOB', 'U0ALICE', 'U0DAVE'],
      unmapped: ['@nobody'],
    });
  });
});
