import { describe, expect, it } from 'vitest';
import { parsePipelineFile } from '../../../src/engine/builds/pipeline.js';
import {
  DEFAULT_RESOURCE_POLICY,
  formatBytes,
  limitReason,
  limitsFor,
  parseMemory,
} from '../../../src/engine/builds/runner-limits.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('build limits', () => {
  it('gives a build the defaults: 2 GiB, 2 CPUs, 1024 pids, one hour', () => {
    expect(limitsFor(DEFAULT_RESOURCE_POLICY, 'infra/api', { name: 'default' })).toEqual({
      ok: true,
      limits: { memoryBytes: 2 * GiB, cpus: 2, pids: 1024, timeoutMs: 3_600_000 },
    });
  });

  it('lays ocelot.yml over the repository over the defaults', () => {
    const policy = {
      ...DEFAULT_RESOURCE_POLICY,
      repos: { 'infra/api': { memoryBytes: 4 * GiB, pids: 2048 } },
    };
    expect(
      limitsFor(policy, 'infra/api', { name: 'default', timeoutMs: 7_200_000, resources: { pids: 512 } }),
    ).toEqual({ ok: true, limits: { memoryBytes: 4 * GiB, cpus: 2, pids: 512, timeoutMs: 7_200_000 } });
  });

  it('refuses what is above the maxima with the key path of a named pipeline', () => {
    const result = limitsFor(DEFAULT_RESOURCE_POLICY, 'infra/api', {
      name: 'nightly',
      resources: { cpus: 8 },
      timeoutMs: 5 * 3_600_000,
    });
    expect(result).toEqual({
      ok: false,
      error:
        'ocelot.yml asks for more than this bot allows: pipelines.nightly.resources.cpus: 8 is above the maximum of 4 (builds.resources.max.cpus); ' +
        'pipelines.nightly.timeout: 5h is above the maximum of 4h (builds.resources.max.timeout). ' +
        'Ask for less in ocelot.yml, or ask an admin to raise the maximum in heckler.yml',
    });
  });

  it('reads and writes sizes as Docker does', () => {
    expect(['64m', '2g', '2G', '512MiB', '1.5g', '1024k', 4096, '10b'].map(parseMemory)).toEqual([
      64 * MiB,
      2 * GiB,
      2 * GiB,
      512 * MiB,
      1.5 * GiB,
      MiB,
      4096,
      10,
    ]);
    expect(['lots', '', '-1g', '2t', 0, 1.5, null].map(parseMemory)).toEqual(Array(7).fill(undefined));
    expect([64 * MiB, 1.5 * GiB, 2 * GiB, 1536, 100].map(formatBytes)).toEqual([
      '64 MiB',
      '1.5 GiB',
      '2 GiB',
      '1.5 KiB',
      '100 B',
    ]);
  });

  it('words a stage that ran into a limit', () => {
    const limits = { memoryBytes: 64 * MiB, cpus: 1, pids: 64 };
    const none = { outOfMemory: false, pids: false };
    expect(limitReason(137, { ...none, outOfMemory: true }, limits)).toBe(
      'killed: out of memory (limit 64 MiB)',
    );
    expect(limitReason(2, { ...none, outOfMemory: true }, limits)).toBe(
      'exited with code 2: a process was killed: out of memory (limit 64 MiB)',
    );
    expect(limitReason(2, { ...none, pids: true }, limits)).toBe(
      'exited with code 2: pids limit reached (limit 64)',
    );
    expect(limitReason(137, none, limits)).toBeUndefined();
  });
});

describe('resources in ocelot.yml', () => {
  const file = (resources: string) =>
    parsePipelineFile(`image: alpine\nresources: ${resources}\nstages: [{ name: a, script: ["true"] }]`);

  it('reads memory, cpus and pids into the pipeline', () => {
    const parsed = file('{ memory: 1g, cpus: 0.5, pids: 200 }');
    expect(parsed.ok && parsed.pipelines[0]?.resources).toEqual({ memoryBytes: GiB, cpus: 0.5, pids: 200 });
    const none = file('{}');
    expect(none.ok && 'resources' in (none.pipelines[0] ?? {})).toBe(false);
  });

  it('names the key and what was expected', () => {
    expect(file('{ memory: lots, cpus: 0, pids: 3, swap: 1g }')).toMatchObject({
      ok: false,
      errors: [
        'resources.memory: expected a memory size such as 512m or 2g, found a string ("lots")',
        'resources.cpus: expected a number of CPUs such as 1 or 0.5, found a number (0)',
        'resources.pids: expected a whole number of processes of at least 8, found a number (3)',
        'resources.swap: unknown key',
      ],
    });
  });
});
