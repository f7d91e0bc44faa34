/**
 * Regenerates test/fixtures/puppet/reduced from real `puppet apply` runs on this machine:
 *
 *   npx tsx test/engine/puppet/capture.ts [outDir]
 *
 * Every run uses the bot's own command line (src/engine/puppet/command.ts) and report processor,
 * inside a mount namespace per node (see local-node.ts). Per case it keeps `<name>.json` (the
 * reduced report, pretty-printed; absent when Puppet ran no processor) and `<name>.run.json` (what
 * the bot's `exec` got: exit code, stdout with the markers, stderr, plus the YAML report's size for
 * comparison). Hostile inputs are derived from a real report. Needs root. Timestamps, temp-file
 * names and configuration versions change on every capture.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitRunOutput } from '../../../src/engine/puppet/command.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../../support/puppet-repo.js';
import { addExtraCommits, type ExtraCommits } from './extra-commits.js';
import {
  applyOk,
  createLocalNode,
  fileSize,
  lastRunReportPath,
  requirePuppet,
  runPuppet,
} from './local-node.js';

type CommitName = keyof PuppetRepoFixture['commits'] | keyof ExtraCommits;

interface Case {
  name: string;
  description: string;
  node: 'node1' | 'node2' | 'node3';
  /** Applied first, on a fresh node, to set its state. */
  before: CommitName[];
  commit: CommitName;
  mode: 'noop' | 'apply';
}

export const cases: Case[] = [
  {
    name: 'noop-file-diff',
    description: 'noop of motdChange at initial: content diff of /data/motd',
    node: 'node1',
    before: ['initial'],
    commit: 'motdChange',
    mode: 'noop',
  },
  {
    name: 'noop-refresh',
    description: "noop of the feature/x merge at v1: app.conf diff, Exec 'Would have triggered refresh'",
    node: 'node1',
    before: ['motdChange'],
    commit: 'merge',
    mode: 'noop',
  },
  {
    name: 'noop-unchanged',
    description: 'noop of the revision the node applied: nothing to do',
    node: 'node1',
    before: ['merge'],
    commit: 'merge',
    mode: 'noop',
  },
  {
    name: 'compile-error',
    description: 'noop of the broken commit: Unknown function motd_banner; no processor run',
    node: 'node1',
    before: [],
    commit: 'broken',
    mode: 'noop',
  },
  {
    name: 'compile-error-node3',
    description: 'noop of broken/node3 on node3: fail() naming the node',
    node: 'node3',
    before: [],
    commit: 'brokenNode3',
    mode: 'noop',
  },
  {
    name: 'noop-v2-node1',
    description: 'noop of v2 at owners on node1: motd names node1',
    node: 'node1',
    before: ['owners'],
    commit: 'fixed',
    mode: 'noop',
  },
  {
    name: 'noop-v2-node2',
    description: 'noop of v2 at owners on node2: motd names node2 (node-specific diff)',
    node: 'node2',
    before: ['owners'],
    commit: 'fixed',
    mode: 'noop',
  },
  {
    name: 'apply-failure',
    description:
      'apply at v2 of a commit where one file cannot be created: exit 6, a skipped exec, a refresh, a defined type',
    node: 'node3',
    before: ['fixed'],
    commit: 'failing',
    mode: 'apply',
  },
  {
    name: 'noop-large-catalog',
    description: 'noop changing 1 of 3000 files: what the reduction saves',
    node: 'node1',
    before: ['large'],
    commit: 'largeChange',
    mode: 'noop',
  },
];

export const captureReduced = async (outDir: string): Promise<void> => {
  requirePuppet();
  const scratch = mkdtempSync(join(tmpdir(), 'heckler-reduced-'));
  try {
    const repo = await createPuppetRepo(join(scratch, 'puppet'));
    const commits = { ...repo.commits, ...(await addExtraCommits(repo.path, repo.commits.fixed)) };
    mkdirSync(outDir, { recursive: true });
    const index = [];
    for (const testCase of cases) {
      const node = await createLocalNode(join(scratch, testCase.name), testCase.node, repo.path);
      for (const before of testCase.before) await applyOk(node, commits[before]);
      rmSync(lastRunReportPath(node), { force: true });
      const { nonce, result } = await runPuppet(node, commits[testCase.commit], testCase.mode);
      const split = splitRunOutput(result.stdout, nonce);
      const yamlBytes = existsSync(lastRunReportPath(node)) ? fileSize(lastRunReportPath(node)) : null;
      const reducedBytes = split.reportJson === undefined ? null : Buffer.byteLength(split.reportJson);
      const out = join(outDir, testCase.name);
      if (split.reportJson !== undefined) {
        writeFileSync(`${out}.json`, `${JSON.stringify(JSON.parse(split.reportJson), null, 2)}\n`);
      }
      const { name, description, mode } = testCase;
      const summary = {
        name,
        description,
        node: node.name,
        certname: node.certname,
        checkout: node.checkout,
        mode,
      };
      const run = { ...summary, nonce, exitCode: result.code, stdout: result.stdout, stderr: result.stderr };
      writeFileSync(`${out}.run.json`, `${JSON.stringify(run, null, 2)}\n`);
      index.push({ ...summary, exitCode: result.code, yamlBytes, reducedBytes });
      console.log(
        `${name}: exit ${result.code}, YAML ${yamlBytes ?? '-'} bytes, reduced ${reducedBytes ?? '-'} bytes`,
      );
    }
    writeFileSync(join(outDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
    writeHostile(outDir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
};

/** Broken inputs a node could send: the normalizer must answer each with a typed error or clean text. */
const writeHostile = (outDir: string) => {
  const real = readFileSync(join(outDir, 'noop-file-diff.json'), 'utf8');
  const compact = JSON.stringify(JSON.parse(real));
  writeFileSync(join(outDir, 'hostile-empty.json'), '');
  writeFileSync(join(outDir, 'hostile-truncated.json'), compact.slice(0, Math.floor(compact.length * 0.6)));
  writeFileSync(
    join(outDir, 'hostile-wrong-shape.json'),
    '{"format":1,"resource_statuses":"lots","logs":[]}\n',
  );
  writeFileSync(
    join(outDir, 'hostile-processor-error.json'),
    '{"format":1,"error":"NoMethodError: undefined method `values\' for nil:NilClass"}\n',
  );
  // Raw Latin-1 and invalid bytes inside a JSON string, a lone surrogate escape, and a 300 KB message.
  const report = JSON.parse(real) as { logs: { message: string; source: string }[] };
  const source = report.logs[0]?.source ?? '/Stage[main]/Motd/File[/data/motd]/content';
  report.logs.push({ ...report.logs[0], source, message: 'BYTES_HERE \\ud800 end' } as never);
  report.logs.push({ ...report.logs[0], source, message: `huge ${'x'.repeat(300_000)} end` } as never);
  const text = JSON.stringify(report).replace('BYTES_HERE \\\\ud800', 'BYTES_HERE \\ud800');
  const [head, tail] = text.split('BYTES_HERE') as [string, string];
  const bytes = Buffer.concat([
    Buffer.from(head),
    Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff, 0xfe]),
    Buffer.from(tail),
  ]);
  writeFileSync(join(outDir, 'hostile-non-utf8.json'), bytes);
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const here = dirname(fileURLToPath(import.meta.url));
  await captureReduced(process.argv[2] ?? join(here, '../../fixtures/puppet/reduced'));
}
