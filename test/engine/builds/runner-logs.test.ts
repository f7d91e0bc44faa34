import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BuildHarness,
  createHarness,
  newBuild,
  pipeline,
  stage,
} from '../../adapters/docker/harness.js';
import { type TestDocker, useDocker } from '../../support/docker.js';

let docker: TestDocker;
let harness: BuildHarness;

beforeAll(async () => {
  docker = await useDocker();
  harness = await createHarness(docker);
});

afterAll(async () => {
  await harness?.close();
  await docker?.stop();
});

describe('build logs on a real Docker engine', () => {
  it('caps a build log with a visible marker, keeping the start and the end of the stage', async () => {
    const lines = Array.from(
      { length: 100 },
      (_, i) => `line ${String(i).padStart(3, '0')} ${'x'.repeat(40)}\n`,
    );
    const definition = pipeline([
      stage('noisy', [
        `i=0; while [ $i -lt 100 ]; do printf 'line %03d %s\\n' $i ${'x'.repeat(40)}; i=$((i+1)); done`,
      ]),
      stage('after', ['echo after']),
    ]);
    const build = await harness.run(newBuild(definition), { logLimits: { maxBytes: 1_000, tailBytes: 100 } });

    expect(build.status).toBe('passed');
    // 5,000 bytes: the first 1,000 fit the cap, the last 100 are the tail, the rest is dropped.
    expect(await harness.logs.read(build.id, 'noisy')).toBe(
      `${lines.slice(0, 20).join('')}[log truncated: 3900 bytes dropped]\n${lines.slice(98).join('')}`,
    );
    // Past the cap each stage still keeps its last bytes, so a late failure stays readable.
    expect(await harness.logs.read(build.id, 'after')).toBe('after\n');
  });

  it('masks configured secret values, also when split across output chunks and on stderr', async () => {
    const definition = pipeline([
      stage('leaky', [
        'echo "token is s3cr3t-token-value"',
        "printf 's3cr3t-'",
        'sleep 0.3',
        "printf 'token-value\\n'",
        'echo hunter22 >&2',
      ]),
    ]);
    const build = await harness.run(newBuild(definition), { secrets: ['s3cr3t-token-value', 'hunter22'] });

    expect(build.status).toBe('passed');
    const log = await harness.logs.read(build.id, 'leaky');
    expect(log).toBe('token is [masked]\n[masked]\n[masked]\n');
    // The script itself holds them here; what the build recorded about its run must not.
    expect(JSON.stringify(build.stages)).not.toMatch(/s3cr3t|hunter22/);
  });

  it('masks secrets in the failure reason too', async () => {
    const definition = pipeline([stage('a', ['true'])], { image: 'registry.invalid/hunter22:1' });
    const build = await harness.run(newBuild(definition), { secrets: ['hunter22'] });

    expect(build.status).toBe('error');
    expect(build.error).toMatch(/^image registry\.invalid\/\[masked\]:1 is not on the Docker host/);
  });
});
