import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
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

const OURS = `lib/puppet/reports/${REPORT_PROCESSOR_NAME}.rb`;
const refusal = (files: string[]) =>
  `the checkout defines Heckler's own report processor (${files.join(', ')}): its report cannot be trusted; ` +
  `remove ${files.length === 1 ? 'that file' : 'those files'}`;

describe('the refusal marker', () => {
  const nonce = 'abc123def456';
  const refused = (id: string, files: string[]) =>
    `\n@@HECKLER-REPORT ${id} shadowed@@\n${files.join('\n')}\n@@HECKLER-REPORT ${id} end@@\n`;

  it('carries the files that define our processor; no exit code, since puppet never ran', () => {
    const files = [`modules/evil/${OURS}`, `/opt/shared/x/${OURS}`];
    expect(splitRunOutput(refused(nonce, files), nonce)).toEqual({
      stdout: '',
      shadowed: files,
      complete: true,
    });
    const run = interpretExec(
      { status: 'failed', exitCode: 3, stdout: refused(nonce, files), stderr: '' },
      nonce,
    );
    expect(run).toEqual({
      outcome: 'failed',
      exitCode: 3,
      errors: [],
      shadowed: files,
      problem: refusal(files),
    });
  });

  it('is not a refusal under another nonce', () => {
    const forged = refused('ffffffffffff', [`modules/evil/${OURS}`]);
    expect(splitRunOutput(forged, nonce).shadowed).toBeUndefined();
  });
});

/** The guard for real, in `sh`, around a stand-in puppet that leaves a trace when it runs. */
describe('a checkout holding a copy of our processor, in a real shell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-shadow-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Spaces: the prefix stripped from the files shown must be taken literally by the shell
  const checkout = join(dir, 'the checkout');
  const elsewhere = join(dir, 'shared mods');
  const trace = join(dir, 'puppet-ran');
  const puppet = join(dir, 'puppet');
  writeFileSync(
    puppet,
    `#!/bin/sh\ntouch '${trace}'\nprintf '{"format":1,"error":"stand-in"}' > "$HECKLER_REPORT_OUT"\n`,
  );
  chmodSync(puppet, 0o755);
  // As on a node: our own processor sits in <workDir>/lib, first on the modulepath, never a reason to refuse.
  cpSync(reportProcessorModuleDir, join(dir, 'lib', REPORT_PROCESSOR_NAME), { recursive: true });

  const config: PuppetCommandConfig = {
    command: puppet,
    args: [],
    env: {},
    manifest: 'manifests/site.pp',
    modulepath: ['modules'],
    noopTimeout: 20_000,
    applyTimeout: 20_000,
  };
  const node: NodeSpec = {
    name: 'node1',
    transport: 'local',
    host: 'localhost',
    port: 22,
    user: 'root',
    certname: 'node1.example.com',
    workDir: dir,
  };
  const plant = (path: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'Puppet::Reports.register_report(:heckler_bot_r1) { def process; end }\n');
  };
  const exec = async (modulepath: readonly string[] = config.modulepath) => {
    const nonce = createNonce();
    const built = buildPuppetCommand({
      config: { ...config, modulepath },
      node,
      mode: 'noop',
      nonce,
      checkoutDir: checkout,
    });
    const result = await run('sh', ['-c', built.command], { timeoutMs: 20_000 });
    const status = result.code === 0 ? ('ok' as const) : ('failed' as const);
    return { result, run: interpretExec({ ...result, exitCode: result.code, status }, nonce) };
  };

  beforeEach(() => {
    for (const path of [checkout, elsewhere, trace]) rmSync(path, { recursive: true, force: true });
    mkdirSync(join(checkout, 'modules'), { recursive: true });
  });

  it('runs puppet when the checkout has other processors, the old Heckler daemon one included', async () => {
    plant(join(checkout, 'modules/heckler/lib/puppet/reports/heckler.rb'));
    plant(join(checkout, 'modules/x/lib/puppet/reports/heckler_bot_r1.rb.orig'));
    const { result, run } = await exec();
    expect(existsSync(trace)).toBe(true);
    expect(result.code).toBe(0);
    expect(run.shadowed).toBeUndefined();
    expect(run.problem).toMatch(/stand-in/);
  });

  it('refuses before puppet starts, naming the file relative to the checkout', async () => {
    plant(join(checkout, `modules/evil/${OURS}`));
    const { result, run } = await exec();
    expect(existsSync(trace)).toBe(false);
    expect(result.code).toBe(3);
    expect(run).toMatchObject({ outcome: 'failed', shadowed: [`modules/evil/${OURS}`] });
    expect(run.problem).toBe(
      "the checkout defines Heckler's own report processor (modules/evil/lib/puppet/reports/heckler_bot_r1.rb): " +
        'its report cannot be trusted; remove that file',
    );
    expect(readdirSync(dir).filter((name) => name.startsWith('report.'))).toEqual([]);
  });

  it('searches every modulepath entry, relative ones in the checkout and absolute ones as given', async () => {
    plant(join(checkout, `site/a/${OURS}`));
    plant(join(elsewhere, `b/${OURS}`));
    plant(join(checkout, `vendor/c/${OURS}`));
    // Puppet follows a symlinked module directory; so does the guard
    plant(join(dir, 'outside', `linked/${OURS}`));
    symlinkSync(join(dir, 'outside', 'linked'), join(checkout, 'modules', 'linked'));
    const { run } = await exec(['modules', 'site', elsewhere, join(checkout, 'vendor')]);
    expect(existsSync(trace)).toBe(false);
    const files = [`modules/linked/${OURS}`, `site/a/${OURS}`, `${elsewhere}/b/${OURS}`, `vendor/c/${OURS}`];
    expect(run).toMatchObject({ outcome: 'failed', shadowed: files, problem: refusal(files) });
  });
});
