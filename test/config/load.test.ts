import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { HecklerError } from '../../src/engine/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'heckler-config-'));
const example = join(import.meta.dirname, '../../examples/heckler.yml');

const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const failure = (fn: () => unknown): HecklerError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof HecklerError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to fail');
};

const load = (yaml: string, env: NodeJS.ProcessEnv = {}, argv: string[] = []) =>
  loadConfig({
    argv: ['--config', write(`c${Math.random()}.yml`, yaml), ...argv],
    env,
    defaultPath: example,
  });

describe('loadConfig: bad files name the key, what was expected and what was found', () => {
  it.each([
    [
      'unknown key, with a suggestion',
      'rolse:\n  admins: []\n',
      /rolse: unknown key \(did you mean 'roles'\?\)/,
    ],
    [
      'nested unknown key',
      'roles:\n  admin: [U1]\n',
      /roles\.admin: unknown key \(did you mean 'admins'\?\)/,
    ],
    [
      'wrong type',
      'roles:\n  admins: [42]\n',
      /roles\.admins\[0\]: expected a string, found a number \(42\)/,
    ],
    ['wrong type for a section', 'slack: 3000\n', /slack: expected a mapping, found a number \(3000\)/],
    [
      'value out of a set',
      'log:\n  level: loud\n',
      /log\.level: expected one of "trace", .*"silent", found a string \("loud"\)/,
    ],
    [
      'bad user id',
      'roles:\n  admins: ["not an id"]\n',
      /roles\.admins\[0\]: expected a chat user id such as U024BE7LH, found a string/,
    ],
    [
      'port out of range',
      'slack:\n  port: 70000\n',
      /slack\.port: expected a number <= 65535, found a number \(70000\)/,
    ],
    [
      'a secret in the file',
      'slack:\n  signingSecret: abc\n',
      /slack\.signingSecret: secrets do not belong in heckler.yml; set the environment variable SLACK_SIGNING_SECRET/,
    ],
    ['invalid YAML', 'roles: [\n', /not valid YAML: .*line 2/],
    [
      'duplicate key',
      'log:\n  level: info\nlog:\n  level: debug\n',
      /not valid YAML: Map keys must be unique/,
    ],
  ])('%s', (_name, yaml, expected) => {
    const error = failure(() => load(yaml));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(expected);
    expect(error.hint).toMatch(/README/);
  });

  it('reports every problem at once', () => {
    const error = failure(() => load('rolse: {}\nlog:\n  level: loud\nslack:\n  port: "x"\n'));
    expect(error.message).toMatch(/\(3 problems\)/);
    expect(error.message.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(3);
  });

  it('a missing file says so and where to start', () => {
    const error = failure(() =>
      loadConfig({ argv: ['--config', join(dir, 'nope.yml')], env: {}, defaultPath: example }),
    );
    expect(error.message).toMatch(/cannot read config .*nope\.yml: no such file/);
    expect(error.hint).toMatch(/examples\/heckler\.yml/);
  });
});

describe('loadConfig: environment', () => {
  it('SLACK_BOT_TOKEN without a signing secret or app token is an error naming both', () => {
    const error = failure(() => load('{}', { SLACK_BOT_TOKEN: 'xoxb-1' }));
    expect(error.message).toMatch(
      /neither SLACK_SIGNING_SECRET \(HTTP mode\) nor SLACK_APP_TOKEN \(Socket Mode\)/,
    );
  });

  it.each([
    [
      { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-wrong' },
      /SLACK_APP_TOKEN: expected an app-level token starting with xapp-/,
    ],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/],
  ])('%j', (env, expected) => {
    expect(failure(() => load('{}', env)).message).toMatch(expected);
  });

  it('picks slack mode with credentials, shell without, and --shell forces the shell', () => {
    const env = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's3cret' };
    expect(load('{}', env).mode).toBe('slack');
    expect(load('{}', env, ['--shell']).mode).toBe('shell');
    expect(load('{}', {}).mode).toBe('shell');
    expect(load('{}', env).secrets).toMatchObject({ slackBotToken: 'xoxb-1', slackSigningSecret: 's3cret' });
  });

  it('--config wins over HECKLER_CONFIG, which wins over the default', () => {
    const a = write('a.yml', 'chat:\n  channel: from-flag\n');
    const b = write('b.yml', 'chat:\n  channel: from-env\n');
    expect(
      loadConfig({ argv: ['--config', a], env: { HECKLER_CONFIG: b }, defaultPath: example }).chat.channel,
    ).toBe('from-flag');
    expect(loadConfig({ argv: [], env: { HECKLER_CONFIG: b }, defaultPath: example }).chat.channel).toBe(
      'from-env',
    );
    expect(loadConfig({ argv: [], env: {}, defaultPath: example }).path).toBe(example);
  });

  it('LOG_LEVEL overrides the file and is validated too', () => {
    expect(load('log:\n  level: warn\n', { LOG_LEVEL: 'debug' }).log.level).toBe('debug');
    expect(() => load('{}', { LOG_LEVEL: 'chatty' })).toThrow();
  });

  it('--as is passed on for the shell to judge; it no longer picks the user by itself', () => {
    expect(load('{}', {}, ['--as', 'U0C']).actAs).toBe('U0C');
    expect(load('{}', {}, ['--as=dave']).actAs).toBe('dave');
    expect(load('roles:\n  admins: [U0A]\n')).not.toHaveProperty('actAs');
    expect(load('roles:\n  admins: [U0A]\n').shell.user).toBeUndefined();
  });

  it('the example config is valid', () => {
    const config = loadConfig({ argv: [], env: {}, defaultPath: example });
    expect(config.roles.admins.length).toBeGreaterThan(0);
    expect(config.mode).toBe('shell');
  });
});

describe('loadConfig: the shell section', () => {
  it('maps OS users to chat users; impersonation is off unless set', () => {
    expect(load('{}').shell).toEqual({ users: {}, allowImpersonation: false });
    const config = load(
      'shell:\n  users:\n    alice: U0ALICE\n    svc-deploy: U0BOT\n  allowImpersonation: true\n',
    );
    expect(config.shell).toEqual({
      users: { alice: 'U0ALICE', 'svc-deploy': 'U0BOT' },
      allowImpersonation: true,
    });
  });

  it.each([
    [
      'an OS user name with a space',
      'shell:\n  users:\n    "Bad Name": U0A\n',
      /shell\.users\.Bad Name: expected a key that is an operating-system user name such as alice, found a string \("Bad Name"\)/,
    ],
    [
      'a chat user that is not an id',
      'shell:\n  users:\n    alice: alice\n',
      /shell\.users\.alice: expected a chat user id such as U024BE7LH, found a string \("alice"\)/,
    ],
    [
      'allowImpersonation that is not a boolean',
      'shell:\n  allowImpersonation: "yes"\n',
      /shell\.allowImpersonation: expected true or false, found a string \("yes"\)/,
    ],
    [
      'a misspelt key',
      'shell:\n  allowImpersonations: true\n',
      /shell\.allowImpersonations: unknown key \(did you mean 'allowImpersonation'\?\)/,
    ],
    [
      'shell.user outside the demo without allowImpersonation',
      'shell:\n  users:\n    alice: U0ALICE\n  user: U0BOB\n',
      /shell\.user: choosing who the terminal starts as needs shell\.allowImpersonation: true outside the demo \(or remove shell\.user: .*\), found a string \("U0BOB"\)/,
    ],
  ])('%s is reported with its key', (_name, yaml, expected) => {
    const error = failure(() => load(yaml));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(expected);
  });

  it('shell.user is allowed in the demo, or with allowImpersonation', () => {
    expect(load('shell:\n  user: U0BOB\n  allowImpersonation: true\n').shell.user).toBe('U0BOB');
    expect(load(`shell:\n  user: U0BOB\ndemo:\n  dir: ${join(dir, 'demo-user')}\n`).shell.user).toBe('U0BOB');
  });
});

describe('loadConfig: the demo section', () => {
  const demoDir = join(dir, 'demo-here');
  const demoFile = (extra = '') =>
    `users:\n  U0ALICE: alice\n  U0CAROL: carol\n  U0ZED: zed\ndemo:\n  dir: ${demoDir}\n${extra}`;

  it('stands for a repository, three local nodes with their own Puppet directories, and the approvals', () => {
    const config = load(demoFile());
    expect(config.demo).toEqual({ dir: demoDir });
    expect(config.repo?.url).toBe(`${demoDir}/repo`);
    expect(config.fleet.nodes).toEqual({
      demo1: { transport: 'local', workDir: `${demoDir}/nodes/demo1` },
      demo2: { transport: 'local', workDir: `${demoDir}/nodes/demo2` },
      demo3: { transport: 'local', workDir: `${demoDir}/nodes/demo3` },
    });
    expect(config.fleet.sets).toEqual({ canaries: { nodes: ['demo1'] } });
    expect(config.fleet.applyOrder).toEqual(['canaries', 'all']);
    expect(config.puppet.args).toEqual(expect.arrayContaining(['--vardir', '{workDir}/puppet/var']));
    expect(config.puppet.args).toEqual(expect.arrayContaining(['--confdir', '{workDir}/puppet/conf']));
    // demo authors map to the users of the same name; bob and dave have none here
    expect(config.approvals.owners).toEqual({ '@alice': 'U0ALICE', '@carol': 'U0CAROL' });
    expect(config.approvals.people).toEqual({
      'alice@example.com': 'U0ALICE',
      'carol@example.com': 'U0CAROL',
    });
  });

  it('a relative dir is relative to the working directory, like storage.dataDir', () => {
    const config = load('demo: {}\n');
    expect(config.demo?.dir).toBe(join(process.cwd(), '.heckler-demo'));
    expect(config.fleet.nodes.demo2?.workDir).toBe(join(process.cwd(), '.heckler-demo/nodes/demo2'));
  });

  it('fills in only what the file leaves out: everything set in the file wins', () => {
    const config = load(
      demoFile(
        [
          'repo:\n  url: /srv/puppet.git\n',
          'puppet:\n  args: [--vardir, /var/tmp/pv]\n',
          'fleet:\n  applyOrder: [all]\n  nodes:\n    demo2:\n      workDir: /srv/d2\n    demo3: null\n    web1: null\n',
          "approvals:\n  owners:\n    '@alice': U0ZED\n",
        ].join(''),
      ),
    );
    expect(config.repo?.url).toBe('/srv/puppet.git');
    expect(config.puppet.args).toEqual(['--vardir', '/var/tmp/pv']);
    expect(config.fleet.applyOrder).toEqual(['all']);
    expect(config.fleet.nodes.demo2).toEqual({ transport: 'local', workDir: '/srv/d2' });
    // `null` takes every default, and for a demo node the demo's are the defaults
    expect(config.fleet.nodes.demo3).toEqual({ transport: 'local', workDir: `${demoDir}/nodes/demo3` });
    expect(config.fleet.nodes.web1).toBeNull();
    expect(config.approvals.owners).toEqual({ '@alice': 'U0ZED', '@carol': 'U0CAROL' });
  });

  it.each([
    ['a wrong type', 'demo:\n  dir: 42\n', /demo\.dir: expected a string, found a number \(42\)/],
    ['a misspelt key', 'demo:\n  dirs: x\n', /demo\.dirs: unknown key \(did you mean 'dir'\?\)/],
    ['not a mapping', 'demo: true\n', /demo: expected a mapping, found a boolean \(true\)/],
    [
      'a dir nodes cannot work in',
      'demo:\n  dir: /tmp/my demo\n',
      /demo\.dir: expected a directory whose absolute path has only letters, digits, '\.', '_', '-' and '\/' \(the demo nodes' workDirs are under it\), found "\/tmp\/my demo"/,
    ],
    [
      'the root directory',
      'demo:\n  dir: /\n',
      /demo\.dir: expected a directory whose absolute path.*found "\/"/,
    ],
    [
      'a demo node sent elsewhere',
      'demo: {}\nfleet:\n  nodes:\n    demo1:\n      transport: ssh\n      host: web1\n',
      /fleet\.nodes\.demo1: the demo runs demo1 on this machine, found transport "ssh": remove the transport, or rename the node/,
    ],
  ])('%s is reported with its key', (_name, yaml, expected) => {
    const error = failure(() => load(yaml));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(expected);
  });

  it('a bad demo section is reported with the rest of the file', () => {
    const error = failure(() => load('demo:\n  dir: 42\nrolse: {}\n'));
    expect(error.message).toMatch(/\(2 problems\)/);
  });
});

describe('the process', () => {
  it('exits with status 2 and the problems on stderr when the config is invalid', () => {
    const bad = write('bad.yml', 'rolse: {}\n');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', bad], {
      cwd: join(import.meta.dirname, '../..'),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /bad\.yml is invalid \(1 problem\):\n {2}- rolse: unknown key \(did you mean 'roles'\?\)/,
    );
  });
});
