import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  interpretExec,
  reportProcessorModuleDir,
  splitRunOutput,
} from '../../../src/engine/puppet/command.js';
import { normalizeRun } from '../../../src/engine/puppet/normalize.js';
import type { ReducedReport } from '../../../src/engine/puppet/report-schema.js';
import { runOk } from '../../support/process.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../../support/puppet-repo.js';
import {
  applyOk,
  createLocalNode,
  fileSize,
  type LocalNode,
  lastRunReportPath,
  requirePuppet,
  runPuppet,
} from './local-node.js';

/**
 * The real report processor in real `puppet apply` runs, started with the bot's own command line,
 * inside a mount namespace with its own /data (local-node.ts). About a second per Puppet run.
 */
describe('heckler report processor in puppet apply', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-processor-'));
  let repo: PuppetRepoFixture;
  let node: LocalNode;

  beforeAll(async () => {
    requirePuppet();
    repo = await createPuppetRepo(join(dir, 'puppet'));
    node = await createLocalNode(dir, 'node1', repo.path);
    await applyOk(node, repo.commits.initial);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('noop: writes a reduced report with the motd diff and the refresh, kilobytes instead of the YAML', async () => {
    // initial → merge: motd gains a line, app.conf 2→4 workers, and the new exec would be refreshed
    const { nonce, result } = await runPuppet(node, repo.commits.merge, 'noop');
    expect(result.code).toBe(0);
    const split = splitRunOutput(result.stdout, nonce);
    expect(split).toMatchObject({ exitCode: 0, complete: true });
    const reduced = JSON.parse(split.reportJson ?? 'null') as ReducedReport;
    expect(reduced).toMatchObject({ format: 1, host: 'node1.example.com', noop: true, noop_pending: true });

    const motdDiff = reduced.logs.find((log) => log.source === '/Stage[main]/Motd/File[/data/motd]/content');
    expect(motdDiff?.message).toMatch(
      /^\n--- \/data\/motd\t.*\n\+\+\+ \/tmp\/puppet-file.*\n@@ -1 \+1,2 @@\n Welcome to the Heckler test fleet.\n\+Be kind to each other.\n$/,
    );
    expect(reduced.logs).toContainEqual({
      level: 'notice',
      message: "Would have triggered 'refresh' from 1 event",
      source: '/Stage[main]/Webapp/Exec[reload webapp]',
      file: `${node.checkout}/modules/webapp/manifests/init.pp`,
      line: 12,
    });
    expect(reduced.resource_statuses.map((status) => status.path).sort()).toEqual([
      '/Stage[main]/Motd/File[/data/motd]',
      '/Stage[main]/Webapp/Exec[reload webapp]',
      '/Stage[main]/Webapp/File[/data/webapp/app.conf]',
    ]);
    // the checksum Puppet keeps as a BINARY string arrives as text, not base64
    const motd = reduced.resource_statuses.find((status) => status.title === '/data/motd');
    expect(motd?.events[0]?.desired_value).toMatch(/^\{sha256\}[0-9a-f]{64}$/);

    const yaml = fileSize(lastRunReportPath(node));
    expect(Buffer.byteLength(split.reportJson ?? '')).toBeLessThan(yaml / 2);

    const normalized = normalizeRun(
      interpretExec({ ...result, exitCode: result.code, status: 'ok' }, nonce),
      {
        node: node.name,
        checkout: node.checkout,
      },
    );
    expect(normalized.outcome).toBe('changes');
    expect(
      normalized.resources.map((r) => [`${r.type}[${r.title}]`, r.refresh, r.diff !== undefined]),
    ).toEqual([
      ['Exec[reload webapp]', true, false],
      ['File[/data/motd]', false, true],
      ['File[/data/webapp/app.conf]', false, true],
    ]);
  });

  it('compile error: Puppet runs no report processor; the error comes from stderr', async () => {
    const { nonce, result } = await runPuppet(node, repo.commits.broken, 'noop');
    expect(result.code).toBe(1);
    const split = splitRunOutput(result.stdout, nonce);
    expect(split).toEqual({ stdout: '', exitCode: 1, complete: true });
    const run = interpretExec({ ...result, exitCode: result.code, status: 'failed' }, nonce);
    expect(run.outcome).toBe('compile_error');
    expect(normalizeRun(run, { node: node.name, checkout: node.checkout }).evalErrors).toEqual([
      {
        message: "Evaluation Error: Unknown function: 'motd_banner'.",
        file: 'modules/motd/manifests/init.pp',
        line: 6,
        column: 16,
      },
    ]);
  });

  it('coerces bytes that are not UTF-8 and caps huge values (processor run directly in Ruby)', async () => {
    const lib = join(reportProcessorModuleDir, 'lib');
    const out = join(dir, 'encoding.json');
    const script = new URL('./processor-encoding.rb', import.meta.url).pathname;
    await runOk('ruby', [script, join(dir, 'ruby'), lib, out], { timeoutMs: 30_000 });
    const reduced = JSON.parse(readFileSync(out, 'utf8')) as ReducedReport;
    const event = reduced.resource_statuses[0]?.events[0];
    expect(event?.previous_value).toBe('caf\uFFFD');
    expect(event?.message).toBe('bad \uFFFD bytes');
    expect(event?.desired_value).toMatch(/^x{65536}\n\[heckler: truncated 34464 more bytes\]$/);
    expect(reduced.logs[0]?.message).toBe('log café');
  });
});
