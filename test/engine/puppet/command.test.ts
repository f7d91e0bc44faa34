import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeSpec } from '../../../src/engine/ports/transport.js';
import {
  buildPuppetCommand,
  createNonce,
  interpretExec,
  type PuppetCommandConfig,
  REPORT_PROCESSOR_NAME,
  reportProcessorModuleDir,
  splitRunOutput,
} from '../../../src/engine/puppet/command.js';
import { run } from '../../support/process.js';

const config: PuppetCommandConfig = {
  command: 'puppet',
  args: [],
  env: {},
  manifest: 'manifests/site.pp',
  modulepath: ['modules'],
  noopTimeout: 600_000,
  applyTimeout: 1_800_000,
};
const nodeSpec = (workDir: string, certname: string): NodeSpec => ({
  name: certname.split('.')[0] as string,
  transport: 'local',
  host: 'localhost',
  port: 22,
  user: 'root',
  certname,
  workDir,
});
const node = nodeSpec('/var/lib/heckler', 'web01.dc1.example.com');
const nonce = 'abc123def456';

describe('buildPuppetCommand', () => {
  it('builds the noop command line', () => {
    const { command, execTimeoutMs } = buildPuppetCommand({ config, node, mode: 'noop', nonce });
    expect(command).toBe(
      'cd /var/lib/heckler/checkout && ' +
        'shadowed=$(for f in /var/lib/heckler/checkout/modules/*/lib/puppet/reports/heckler_bot_r1.rb; ' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's own parameter expansion
        'do if [ -e "$f" ] || [ -L "$f" ]; then r=${f#/var/lib/heckler/checkout/}; printf \'%s\\n\' "$r"; fi; done) && ' +
        'if [ -n "$shadowed" ]; then ' +
        'printf \'\\n@@HECKLER-REPORT abc123def456 shadowed@@\\n%s\\n@@HECKLER-REPORT abc123def456 end@@\\n\' "$shadowed"; ' +
        'exit 3; fi && ' +
        'out=$(mktemp /var/lib/heckler/report.XXXXXX) && { ' +
        'HECKLER_REPORT_OUT="$out" timeout --kill-after=30 600 puppet apply --noop --detailed-exitcodes ' +
        '--show_diff --color=false --modulepath /var/lib/heckler/lib:/var/lib/heckler/checkout/modules ' +
        '--reports heckler_bot_r1 --certname web01.dc1.example.com /var/lib/heckler/checkout/manifests/site.pp ' +
        '>"$out.stdout"; code=$?; ' +
        'if [ "$(wc -c <"$out.stdout")" -gt 65536 ]; then echo \'[heckler: puppet stdout cut to its last 65536 bytes]\'; fi; ' +
        'tail -c 65536 "$out.stdout"; ' +
        'printf \'\\n@@HECKLER-REPORT abc123def456 exit=%s@@\\n\' "$code"; cat "$out"; ' +
        'printf \'\\n@@HECKLER-REPORT abc123def456 end@@\\n\'; rm -f "$out" "$out.stdout" "$out".*.tmp; exit "$code"; }',
    );
    // the node's own timeout (600 s + 30 s kill grace) fires before the transport's
    expect(execTimeoutMs).toBe(660_000);
  });

  it('applies with --no-noop, the apply timeout, config args, env and absolute paths, all quoted', () => {
    const { command, execTimeoutMs } = buildPuppetCommand({
      config: {
        ...config,
        command: '/opt/puppetlabs/bin/puppet',
        args: ['--environment', 'prod env', '--vardir', '/var/cache/pup pet'],
        env: { FACTER_role: "web 'front'", LANG: 'C.UTF-8' },
        manifest: '/etc/site.pp',
        modulepath: ['site', '/opt/shared modules'],
      },
      node,
      mode: 'apply',
      nonce,
      checkoutDir: '/srv/code',
      libDir: '/srv/heckler lib',
    });
    expect(command).toContain(
      `FACTER_role='web '\\''front'\\''' LANG=C.UTF-8 HECKLER_REPORT_OUT="$out" timeout --kill-after=30 1800 ` +
        '/opt/puppetlabs/bin/puppet apply --no-noop ',
    );
    expect(command).toContain("--modulepath '/srv/heckler lib:/srv/code/site:/opt/shared modules'");
    // every configured entry is searched for a copy of our processor, none of ours
    expect(command).toContain(
      "for f in /srv/code/site/*/lib/puppet/reports/heckler_bot_r1.rb '/opt/shared modules'/*/lib/puppet/reports/heckler_bot_r1.rb; do",
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's own parameter expansion
    expect(command).toContain('r=${f#/srv/code/}');
    expect(command).not.toContain("'/srv/heckler lib'/*");
    expect(command).toContain("--environment 'prod env' --vardir '/var/cache/pup pet' /etc/site.pp >");
    expect(command.startsWith('cd /srv/code && ')).toBe(true);
    expect(execTimeoutMs).toBe(1_860_000);
  });

  it('replaces {workDir} in config args with the node workDir, so nodes sharing a machine keep apart', () => {
    const args = ['--vardir', '{workDir}/puppet/var', '--confdir={workDir}/puppet/conf', '--tags', 'x'];
    const commandOf = (workDir: string) =>
      buildPuppetCommand({
        config: { ...config, args },
        node: nodeSpec(workDir, 'demo1'),
        mode: 'noop',
        nonce,
      }).command;
    expect(commandOf('/srv/demo/nodes/demo1/')).toContain(
      '--vardir /srv/demo/nodes/demo1/puppet/var --confdir=/srv/demo/nodes/demo1/puppet/conf --tags x ',
    );
    expect(commandOf('/srv/demo/nodes/demo2')).toContain('--vardir /srv/demo/nodes/demo2/puppet/var ');
    expect(commandOf('/srv/demo/nodes/demo2')).not.toContain('{workDir}');
  });

  it('names our processor heckler_bot_r1: the constant, its module, its one file, its registration', () => {
    expect(REPORT_PROCESSOR_NAME).toBe('heckler_bot_r1');
    expect(basename(reportProcessorModuleDir)).toBe(REPORT_PROCESSOR_NAME);
    const reports = join(reportProcessorModuleDir, 'lib', 'puppet', 'reports');
    expect(readdirSync(reports)).toEqual([`${REPORT_PROCESSOR_NAME}.rb`]);
    const ruby = readFileSync(join(reports, `${REPORT_PROCESSOR_NAME}.rb`), 'utf8');
    expect(ruby).toMatch(/^Puppet::Reports\.register_report\(:heckler_bot_r1\) do$/m);
  });

  it('checks the checkout for a copy of our processor before puppet starts, in the same command', () => {
    const { command } = buildPuppetCommand({ config, node, mode: 'apply', nonce });
    const guard = command.indexOf('/var/lib/heckler/checkout/modules/*/lib/puppet/reports/heckler_bot_r1.rb');
    expect(guard).toBeGreaterThan(0);
    expect(guard).toBeLessThan(command.indexOf(' puppet apply '));
    expect(command).toContain('--reports heckler_bot_r1 ');
  });

  it('refuses a nonce that could break the markers', () => {
    expect(() => buildPuppetCommand({ config, node, mode: 'noop', nonce: "x'; rm -rf /" })).toThrow(/nonce/);
    expect(createNonce()).toMatch(/^[0-9a-f]{24}$/);
  });
});

describe('splitRunOutput', () => {
  const wrap = (stdout: string, code: number, body: string, id = nonce) =>
    `${stdout}\n@@HECKLER-REPORT ${id} exit=${code}@@\n${body}\n@@HECKLER-REPORT ${id} end@@\n`;

  it('separates Puppet output, exit code and report', () => {
    expect(splitRunOutput(wrap('Notice: hi\n', 2, '{"a":1}'), nonce)).toEqual({
      stdout: 'Notice: hi\n',
      exitCode: 2,
      reportJson: '{"a":1}',
      complete: true,
    });
  });

  it('has no report when the processor wrote none', () => {
    expect(splitRunOutput(wrap('', 1, ''), nonce)).toEqual({ stdout: '', exitCode: 1, complete: true });
  });

  it('ignores markers with another nonce (a managed file printing our marker)', () => {
    const forged = wrap('Notice: content\n', 0, '{"forged":true}', 'ffffffffffff');
    expect(splitRunOutput(wrap(forged, 2, '{"real":true}'), nonce)).toMatchObject({
      stdout: forged,
      exitCode: 2,
      reportJson: '{"real":true}',
    });
  });

  it('says when the output was cut short or never had markers', () => {
    expect(splitRunOutput(`x\n@@HECKLER-REPORT ${nonce} exit=0@@\n{"a"`, nonce)).toMatchObject({
      complete: false,
      exitCode: 0,
      reportJson: '{"a"',
    });
    expect(splitRunOutput("sh: 1: cd: can't cd to /x\n", nonce)).toEqual({
      stdout: "sh: 1: cd: can't cd to /x\n",
      complete: false,
    });
  });
});

/** The wrapper for real, in `sh`, around a stand-in puppet script (real Puppet: processor.test.ts). */
describe('the command in a real shell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-command-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'checkout'), { recursive: true });

  const standIn = (name: string, script: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${script}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const exec = async (command: string, options: { noopTimeout?: number; checkoutDir?: string } = {}) => {
    const id = createNonce();
    const built = buildPuppetCommand({
      config: { ...config, command, noopTimeout: options.noopTimeout ?? config.noopTimeout },
      node: nodeSpec(dir, 'node1.example.com'),
      mode: 'noop',
      nonce: id,
      ...(options.checkoutDir === undefined ? {} : { checkoutDir: options.checkoutDir }),
    });
    const result = await run('sh', ['-c', built.command], { timeoutMs: 20_000 });
    const status = result.code === 0 ? ('ok' as const) : ('failed' as const);
    return { result, nonce: id, status };
  };

  it('carries the report, stdout, stderr and exit code of puppet through one exec', async () => {
    const puppet = standIn(
      'puppet-changes',
      'echo "Notice: args $*"; echo "Error: Facter: noise" >&2\n' +
        'printf \'{"format":1,"error":"stand-in"}\' > "$HECKLER_REPORT_OUT"; exit 2',
    );
    const { result, nonce: id } = await exec(puppet);
    expect(result.code).toBe(2);
    const split = splitRunOutput(result.stdout, id);
    expect(split).toMatchObject({
      exitCode: 2,
      reportJson: '{"format":1,"error":"stand-in"}',
      complete: true,
    });
    expect(split.stdout).toBe(
      `Notice: args apply --noop --detailed-exitcodes --show_diff --color=false --modulepath ${dir}/lib:${dir}/checkout/modules ` +
        `--reports heckler_bot_r1 --certname node1.example.com ${dir}/checkout/manifests/site.pp\n`,
    );
    expect(result.stderr).toBe('Error: Facter: noise\n');
  });

  it('reports a compile failure (no report) and cleans up its temp file', async () => {
    const puppet = standIn(
      'puppet-broken',
      'echo "Error: Could not parse for environment production: Syntax error at end of input (file: /x/site.pp, line: 3, column: 1) on node n1" >&2; exit 1',
    );
    const { result, nonce: id, status } = await exec(puppet);
    const run = interpretExec({ ...result, exitCode: result.code, status }, id);
    expect(run).toMatchObject({ outcome: 'compile_error', exitCode: 1 });
    expect(run.errors[0]).toEqual({
      message: 'Could not parse for environment production: Syntax error at end of input',
      file: '/x/site.pp',
      line: 3,
      column: 1,
      node: 'n1',
    });
    expect(readdirSync(dir).filter((name) => name.startsWith('report.'))).toEqual([]);
  });

  it('sends only the tail of a huge puppet stdout, and says so', async () => {
    const puppet = standIn(
      'puppet-chatty',
      'yes "Notice: a diff line" | head -c 200000; echo; echo "Notice: last"',
    );
    const { result, nonce: id } = await exec(puppet);
    const split = splitRunOutput(result.stdout, id);
    expect(split.stdout.startsWith('[heckler: puppet stdout cut to its last 65536 bytes]\n')).toBe(true);
    expect(split.stdout.endsWith('\nNotice: last\n')).toBe(true);
    expect(split.stdout.length).toBeLessThan(66_000);
  });

  it('times out on the node with exit 124', async () => {
    const puppet = standIn('puppet-slow', 'sleep 5');
    const { result, nonce: id, status } = await exec(puppet, { noopTimeout: 1_000 });
    expect(interpretExec({ ...result, exitCode: result.code, status }, id)).toMatchObject({
      outcome: 'timed_out',
      exitCode: 124,
    });
  });

  it('fails clearly when the checkout is missing (the wrapper never ran puppet)', async () => {
    const { result, nonce: id, status } = await exec('puppet', { checkoutDir: join(dir, 'nowhere') });
    const run = interpretExec({ ...result, exitCode: result.code, status }, id);
    expect(run.outcome).toBe('failed');
    expect(run.problem).toMatch(/the puppet wrapper did not run to the end \(exit 2\):\n.*nowhere/);
  });
});
