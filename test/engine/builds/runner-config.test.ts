import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGE, type TestDocker, useDocker } from '../../support/docker.js';
import { type BuildsHarness, createOrigin, type Origin, startBuilds } from './service-harness.js';

/** heckler.yml's `builds.resources` and `builds.repos[].resources` reach the containers. */
const MiB = 1024 ** 2;
const showLimits = `image: ${TEST_IMAGE}
stages:
  - name: limits
    script:
      - mem=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
      - pids=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)
      - echo "memory=$mem pids=$pids"
`;

let docker: TestDocker;
let origin: Origin;
let h: BuildsHarness;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hk-blimits-'));
  docker = await useDocker();
  origin = await createOrigin(join(dir, 'origin'));
  await origin.commit('main', { 'ocelot.yml': showLimits });
  await origin.commit('greedy', {
    'ocelot.yml': showLimits.replace('stages:', 'resources: { memory: 1g }\nstages:'),
  });
  h = await startBuilds(docker, {
    resources: { memory: '64m', pids: 64, max: { memory: '128m', pids: 256 } },
    repos: [
      { name: 'infra/api', url: `file://${origin.path}`, resources: { memory: '96m', pids: 100 } },
      { name: 'infra/web', url: `file://${origin.path}` },
    ],
  });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await docker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const buildOf = async (line: string) => {
  await h.ask(line);
  await h.idle();
  const [build] = await h.composed.service.list({ repo: line.split(' ')[1] ?? '', limit: 1 });
  if (!build) throw new Error(`no build after "${line}"`);
  return build;
};

describe('resources from heckler.yml', () => {
  it('gives each repository its own limits, and the others the defaults', async () => {
    const api = await buildOf('build infra/api main');
    const web = await buildOf('build infra/web main');

    expect([api.status, web.status]).toEqual(['passed', 'passed']);
    expect((await h.composed.service.log(api.id)).text).toContain(`memory=${96 * MiB} pids=100`);
    expect((await h.composed.service.log(web.id)).text).toContain(`memory=${64 * MiB} pids=64`);
  });

  it('refuses a build whose ocelot.yml asks for more than builds.resources.max allows', async () => {
    const build = await buildOf('build infra/web greedy');

    expect(build.status).toBe('error');
    expect(build.error).toBe(
      'ocelot.yml asks for more than this bot allows: resources.memory: 1 GiB is above the maximum of 128 MiB ' +
        '(builds.resources.max.memory). Ask for less in ocelot.yml, or ask an admin to raise the maximum in heckler.yml',
    );
  });
});
