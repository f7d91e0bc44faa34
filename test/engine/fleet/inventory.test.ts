import { describe, expect, it } from 'vitest';
import { fleetSchema } from '../../../src/config/fleet-schema.js';
import { isHecklerError } from '../../../src/engine/errors.js';
import {
  nodeSpecs,
  parseNodeList,
  resolveSelector,
  type Selector,
} from '../../../src/engine/fleet/inventory.js';
import { globToRegExp } from '../../../src/engine/fleet/node-names.js';
import { context, fleet, runCommand } from './fleet-config.js';

const names = async (selector: Selector, ctx = context) =>
  (await resolveSelector(selector, ctx)).map((n) => n.name);

describe('nodeSpecs', () => {
  it('fills every field from the node, else fleet.ssh / fleet.workDir, else the node name', () => {
    const specs = nodeSpecs(fleet);
    expect(specs.map((spec) => spec.name)).toEqual(['web1', 'web2', 'web3', 'db1.dc1', 'db2.dc1', 'cache1']);
    expect(specs[0]).toEqual({
      name: 'web1',
      transport: 'ssh',
      host: 'web1',
      port: 2222,
      user: 'deploy',
      keyPath: '/keys/fleet',
      certname: 'web1',
      workDir: '/srv/heckler',
    });
    expect(specs[1]).toMatchObject({ host: '10.0.0.2', port: 2222, certname: 'web2' });
    expect(specs[2]).toEqual({
      name: 'web3',
      transport: 'ssh',
      host: 'web3.dc1.example.com',
      port: 22,
      user: 'root',
      keyPath: '/keys/web3',
      certname: 'web3.example.com',
      workDir: '/srv/heckler',
    });
    expect(specs[3]).toMatchObject({ workDir: '/data/heckler' });
    expect(specs[4]).toMatchObject({ transport: 'local' });
  });

  it('leaves keyPath out when no key is configured anywhere', () => {
    const [spec] = nodeSpecs(fleetSchema.parse({ nodes: { a: null } }));
    expect(spec).toEqual({
      name: 'a',
      transport: 'ssh',
      host: 'a',
      port: 22,
      user: 'root',
      certname: 'a',
      workDir: '/var/lib/heckler',
    });
  });
});

describe('parseNodeList', () => {
  it.each([
    ['web1,web2', ['web1', 'web2']],
    [' web1 , web2 ,', ['web1', 'web2']],
    ['web1,web1,web2', ['web1', 'web2']],
    ['', []],
  ])('%j → %j', (text, expected) => {
    expect(parseNodeList(text)).toEqual(expected);
  });
});

describe('globToRegExp', () => {
  it.each([
    ['web*', 'web12', true],
    ['web*', 'db1', false],
    ['db?.dc1', 'db1.dc1', true],
    ['db?.dc1', 'db1xdc1', false], // the dot is literal
    ['db?.dc1', 'db12.dc1', false],
    ['web[12]', 'web2', true],
    ['web[12]', 'web3', false],
    ['web[!12]', 'web3', true],
    ['web[1-3]', 'web3', true],
    ['*', 'anything', true],
    ['web[', 'web[', true],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(globToRegExp(pattern).test(name)).toBe(expected);
  });
});

describe('resolveSelector', () => {
  it.each<[string, Selector, string[]]>([
    ['a list, in the order given', { nodes: ['web3', 'web1'] }, ['web3', 'web1']],
    ['a list with repeats', { nodes: ['web1', 'web1'] }, ['web1']],
    ['an explicit set', { set: 'canaries' }, ['web2', 'db1.dc1']],
    ['a pattern set, in config order', { set: 'web' }, ['web1', 'web2', 'web3']],
    ['a pattern with ? and a literal dot', { set: 'dbs' }, ['db1.dc1', 'db2.dc1']],
    ['a command set (comments, blanks, spaces, repeats ignored)', { set: 'cmdb' }, ['web3', 'cache1']],
    ['the built-in all', { set: 'all' }, ['web1', 'web2', 'web3', 'db1.dc1', 'db2.dc1', 'cache1']],
  ])('%s', async (_, selector, expected) => {
    expect(await names(selector)).toEqual(expected);
  });

  it.each<[string, Selector, RegExp]>([
    [
      'an unknown node, with a suggestion and the known names',
      { nodes: ['web9'] },
      /^unknown node 'web9' \(did you mean 'web1'\?\); known: web1, web2, web3, db1\.dc1, db2\.dc1, cache1$/,
    ],
    [
      'several unknown nodes, named together',
      { nodes: ['web1', 'x1', 'y2'] },
      /^unknown nodes 'x1', 'y2'; known: web1/,
    ],
    [
      'an unknown set, with a suggestion',
      { set: 'canarys' },
      /^unknown set 'canarys' \(did you mean 'canaries'\?\); known: canaries, web, dbs, cmdb, typo, none, all$/,
    ],
    [
      'a set naming an unknown node',
      { set: 'typo' },
      /^set 'typo': unknown node 'wbe2' \(did you mean 'web2'\?\)/,
    ],
    ['a set matching nothing', { set: 'none' }, /^set 'none' has no nodes right now$/],
  ])('refuses %s with NOT_FOUND', async (_, selector, message) => {
    const error = await resolveSelector(selector, context).catch((caught: unknown) => caught);
    expect(isHecklerError(error, 'NOT_FOUND')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('names every unknown node a set command printed', async () => {
    const ctx = { fleet, runCommand: async () => 'web1\nweb9\nmail3\n' };
    const error = await resolveSelector({ set: 'cmdb' }, ctx).catch((caught: unknown) => caught);
    expect(isHecklerError(error, 'NOT_FOUND')).toBe(true);
    expect((error as Error).message).toMatch(/^set 'cmdb': unknown nodes 'web9', 'mail3'; known: /);
  });

  it('refuses command output that is not node names', async () => {
    const ctx = { fleet, runCommand: async () => 'web1\nweb2; rm -rf /\nWEB3\n' };
    const error = await resolveSelector({ set: 'cmdb' }, ctx).catch((caught: unknown) => caught);
    expect(isHecklerError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('2 line(s) that are not node names: "web2; rm -rf /", "WEB3"');
  });

  it('says which set command failed and why', async () => {
    const ctx = { fleet, runCommand: async () => Promise.reject(new Error('exit 2: connection refused')) };
    const error = await resolveSelector({ set: 'cmdb' }, ctx).catch((caught: unknown) => caught);
    expect(isHecklerError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toBe(
      "set 'cmdb': its command `cmdb-query --role app` failed: exit 2: connection refused",
    );
  });

  it('runs a set command only when that set is asked for', async () => {
    const asked: string[] = [];
    const runCommand = async (command: string) => {
      asked.push(command);
      return '';
    };
    const ctx = { fleet, runCommand };
    await names({ set: 'web' }, ctx);
    expect(asked).toEqual([]);
  });

  it('refuses a set that shadows the built-in all, even in a config the schema did not check', async () => {
    const shadowing = { ...fleetSchema.parse({ nodes: { a: null } }), sets: { all: { nodes: ['a'] } } };
    const error = await resolveSelector({ set: 'all' }, { fleet: shadowing, runCommand }).catch(
      (e: unknown) => e,
    );
    expect(isHecklerError(error, 'CONFIG_INVALID')).toBe(true);
  });
});
