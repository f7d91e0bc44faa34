import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applySchema } from '../../src/config/apply-schema.js';
import { loadConfig } from '../../src/config/load.js';
import { HecklerError } from '../../src/engine/errors.js';
import { parseDuration } from '../../src/engine/text/duration.js';
import { ensureInstalled, run } from '../support/process.js';

const root = join(import.meta.dirname, '../..');
const deploy = (name: string) => join(root, 'deploy', name);
const exampleConfig = deploy('heckler.example.yml');
const work = mkdtempSync(join(tmpdir(), 'heckler-deploy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `VARIABLE=value` lines, as systemd's EnvironmentFile= reads them (comments and blanks skipped). */
const readEnvFile = (path: string): Record<string, string> =>
  Object.fromEntries(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)];
      }),
  );

/** A unit file's `Key=value` settings by section; a key set twice keeps every value. */
const readUnit = (text: string): Record<string, Record<string, string[]>> => {
  const sections: Record<string, Record<string, string[]>> = {};
  let section: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header?.[1]) {
      section = {};
      sections[header[1]] = section;
    } else if (line.includes('=') && !line.startsWith('#')) {
      const at = line.indexOf('=');
      const key = line.slice(0, at);
      section[key] = [...(section[key] ?? []), line.slice(at + 1)];
    }
  }
  return sections;
};

const load = (env: NodeJS.ProcessEnv) =>
  loadConfig({ argv: ['--config', exampleConfig], env, defaultPath: exampleConfig });

describe('deploy/heckler.example.yml and deploy/heckler.env.example', () => {
  const env = readEnvFile(deploy('heckler.env.example'));

  it('load with the real loader as a Slack bot on Redis with an SSH fleet, builds and permadiffs', () => {
    const config = load(env);
    expect(config.mode).toBe('slack');
    expect(config.demo).toBeUndefined();
    expect(config.secrets.redisUrl).toBe('redis://127.0.0.1:6379/0');
    expect(config.fleet.transport).toBe('ssh');
    expect(config.fleet.ssh.hostKeys).toBe('strict');
    expect(Object.keys(config.fleet.nodes)).toHaveLength(6);
    expect(config.fleet.applyOrder).toEqual(['canaries', 'web', 'databases', 'all']);
    expect(config.repo?.url).toBe('git@github.com:example/puppet.git');
    expect(Object.keys(config.approvals.owners)).toContain('@example/dba');
    expect(config.builds.repos.map((repo) => repo.name)).toEqual(['example/api', 'example/web']);
    expect(config.builds.docker.hosts).toHaveLength(2);
    expect(config.secrets.registry).toEqual({
      'registry.example.com': { username: 'heckler', password: 'replace-me' },
    });
    expect(config.permadiffs.scanEvery).toBe(6 * 3_600_000);
    expect(config.permadiffs.digest).toEqual({
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      channel: 'C0123OPS',
    });
    expect(config.metrics.host).toBe('127.0.0.1');
    // Absolute: the bot's state does not depend on the directory it was started in.
    expect(config.storage.dataDir).toBe('/var/lib/heckler');
  });

  it('name exactly the secrets the bot reads, and hold none themselves', () => {
    expect(Object.keys(env).sort()).toEqual(
      [
        'GITHUB_TOKEN',
        'GITHUB_WEBHOOK_SECRET',
        'REDIS_URL',
        'REGISTRY_PASSWORD',
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
      ].sort(),
    );
    const config = load(env);
    expect(config.secrets).toMatchObject({
      slackBotToken: env.SLACK_BOT_TOKEN,
      slackSigningSecret: env.SLACK_SIGNING_SECRET,
      githubToken: env.GITHUB_TOKEN,
      githubWebhookSecret: env.GITHUB_WEBHOOK_SECRET,
    });
    expect(readFileSync(exampleConfig, 'utf8')).not.toMatch(/xox[bpa]-|xapp-|replace-me|password:/i);
  });

  it('refuses to start without the secrets file, naming the variable that is missing', () => {
    let error: unknown;
    try {
      load({});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HecklerError);
    expect((error as HecklerError).message).toContain(
      'builds.registries[0].passwordEnv: REGISTRY_PASSWORD is not set in the environment',
    );
  });
});

describe('deploy/heckler.service', () => {
  const text = readFileSync(deploy('heckler.service'), 'utf8');
  const unit = readUnit(text);
  const service = unit.Service ?? {};
  const one = (key: string) => {
    expect(service[key], key).toHaveLength(1);
    return service[key]?.[0] ?? '';
  };

  it('runs the compiled bin with plain node as a non-root user, its secrets from a file, restarting on failure', () => {
    const bin = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { heckler: string } })
      .bin.heckler;
    expect(one('ExecStart').split(' ')).toEqual([
      '/usr/bin/node',
      '--enable-source-maps',
      `/opt/heckler/${bin}`,
      '--config',
      '/etc/heckler/heckler.yml',
    ]);
    expect(one('User')).not.toMatch(/^(root|0)$/);
    expect(one('User')).toBe('heckler');
    expect(one('EnvironmentFile')).toBe('/etc/heckler/heckler.env');
    expect(one('Restart')).toBe('on-failure');
    // A config error (exit status 2) is not retried in a loop.
    expect(one('RestartPreventExitStatus')).toBe('2');
    expect(unit.Install?.WantedBy).toEqual(['multi-user.target']);
  });

  it('waits longer than apply.shutdownGrace (default and the example config) for running applies', () => {
    const stopTimeout = parseDuration(one('TimeoutStopSec'));
    const grace = Math.max(
      applySchema.parse({}).shutdownGrace,
      load(readEnvFile(deploy('heckler.env.example'))).apply.shutdownGrace,
    );
    expect(stopTimeout).toBeGreaterThanOrEqual(grace + 60_000);
    // Only the bot gets SIGTERM: the ssh and Puppet processes of running applies are left to finish.
    expect(one('KillMode')).toBe('mixed');
    expect(text).toMatch(/raise it whenever you raise the grace/);
  });

  it('hardens without what breaks node, ssh, git or docker', () => {
    expect(one('NoNewPrivileges')).toBe('true');
    expect(one('ProtectSystem')).toBe('strict');
    // The one place it writes under ProtectSystem=strict: storage.dataDir of the example config.
    expect(one('StateDirectory')).toBe('heckler');
    expect(one('WorkingDirectory')).toBe('/var/lib/heckler');
    expect(one('RestrictAddressFamilies').split(' ').sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
    // V8's JIT writes executable memory; a blocked call fails rather than killing the bot.
    expect(service.MemoryDenyWriteExecute).toBeUndefined();
    expect(one('SystemCallErrorNumber')).toBe('EPERM');
  });

  it('is a unit systemd accepts: no unknown keys, no misplaced settings', async () => {
    ensureInstalled([{ command: 'systemd-analyze', pkg: 'systemd' }]);
    // Checked as shipped, except that node is wherever it is on this machine.
    const copy = join(work, 'heckler.service');
    writeFileSync(copy, text.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
    const verified = await run('systemd-analyze', ['verify', copy], { timeoutMs: 60_000 });
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
  });
});
