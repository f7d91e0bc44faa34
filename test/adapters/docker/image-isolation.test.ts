import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialId, markTag, pullPlan } from '../../../src/adapters/docker/image-marks.js';
import { createDockerRuntime } from '../../../src/adapters/docker/runtime.js';
import type { ContainerRuntime, RegistryAuth } from '../../../src/engine/ports/containers.js';
import { makeTree, TEST_IMAGE, type TestDocker, useDocker } from '../../support/docker.js';
import { type FakeRegistry, startFakeRegistry } from '../../support/fake-registry.js';

/**
 * A private image pulled with one set of registry credentials is not run by a build without
 * them: on the real engine, pulling from a real (if small) registry with Basic auth on loopback.
 */
let docker: TestDocker;
let registry: FakeRegistry;
let runtime: ContainerRuntime;
let alice: RegistryAuth;
let bob: RegistryAuth;
const suffix = randomUUID().slice(0, 8);
/** Two contents, so the public one's marks are not the private one's (marks are per content). */
const sources = [`hk-registry-private:${suffix}`, `hk-registry-public:${suffix}`];

const buildSource = async (tag: string) => {
  const context = makeTree({ Dockerfile: `FROM ${TEST_IMAGE}\nLABEL heckler.test-source="${tag}"\n` });
  const stream = await docker.docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: tag });
  const events = (await new Promise((resolve, reject) =>
    docker.docker.modem.followProgress(stream, (error, output) => (error ? reject(error) : resolve(output))),
  )) as Array<{ error?: string }>;
  const failed = events.find((event) => event.error);
  if (failed) throw new Error(`building ${tag}: ${failed.error}`);
};

beforeAll(async () => {
  docker = await useDocker();
  for (const tag of sources) await buildSource(tag);
  registry = await startFakeRegistry(
    docker.docker,
    {
      'acme/private': { image: sources[0] ?? '', readers: ['alice'] },
      'acme/public': { image: sources[1] ?? '' },
    },
    { alice: 'alice-pw', bob: 'bob-pw' },
  );
  // Only the registry has them now: what the engine holds next, it pulled.
  for (const tag of sources) await docker.docker.getImage(tag).remove();
  alice = { username: 'alice', password: 'alice-pw', serveraddress: registry.host };
  bob = { username: 'bob', password: 'bob-pw', serveraddress: registry.host };
  runtime = createDockerRuntime({ address: docker.address });
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  await docker?.stop();
});

/** Who asked the registry for a manifest (HEAD or GET) during `action`: a user, or `-` for anonymous. */
const manifestRequests = async (action: () => Promise<unknown>): Promise<string[]> => {
  const before = registry.requests.length;
  await action().catch(() => undefined);
  return registry.requests.slice(before).flatMap((line) => {
    const [method, path, user] = line.split(' ');
    return method && path?.includes('/manifests/') ? [user ?? '?'] : [];
  });
};

describe('the pull decision', () => {
  it.each([
    [false, [], undefined, { pull: true, check: 'absent' }],
    [false, ['a'], 'a', { pull: true, check: 'absent' }],
    [true, ['a'], 'a', { pull: false }],
    [true, ['a', 'b'], 'b', { pull: false }],
    [true, [], 'a', { pull: true, check: 'unmarked-credentials' }],
    [true, ['b'], 'a', { pull: true, check: 'unmarked-credentials' }],
    [true, ['a'], undefined, { pull: true, check: 'marked-without-credentials' }],
    [true, [], undefined, { pull: false }],
  ])('present %s, marks %j, credential %s → %j', (present, marks, credential, plan) => {
    expect(pullPlan({ present, marks, credential })).toEqual(plan);
  });

  it('names a credential by registry and user, not by password', () => {
    expect(credentialId({ username: 'u', password: 'one', serveraddress: 'r.test' })).toBe(
      credentialId({ username: 'u', password: 'two', serveraddress: 'r.test' }),
    );
    expect(credentialId({ username: 'u', password: 'p', serveraddress: 'r.test' })).not.toBe(
      credentialId({ username: 'u', password: 'p', serveraddress: 's.test' }),
    );
  });
});

describe('images pulled with registry credentials', () => {
  const privateImage = () => `${registry.host}/acme/private:1`;
  const publicImage = () => `${registry.host}/acme/public:1`;

  it('pulls a private image with the credentials that may read it, and marks it with them', async () => {
    expect(await manifestRequests(() => runtime.ensureImage(privateImage(), { auth: alice }))).toContain(
      'alice',
    );
    const image = await docker.docker.getImage(privateImage()).inspect();
    const mark = markTag(credentialId(alice), image.Id);
    expect(image.RepoTags).toContain(`${mark.repo}:${mark.tag}`);
    // The same credentials use it as it is: no registry asked.
    expect(await manifestRequests(() => runtime.ensureImage(privateImage(), { auth: alice }))).toEqual([]);
  });

  it('asks the registry again for a build without credentials, and refuses when it says no', async () => {
    await expect(runtime.ensureImage(privateImage())).rejects.toMatchObject({
      code: 'IMAGE_MISSING',
      message: expect.stringContaining(
        `image ${privateImage()} is on the Docker host ${docker.address} only as pulled with registry credentials this build is not given, and pulling it without credentials failed: `,
      ),
      hint: expect.stringContaining('check builds.registries for its registry, or use a public image'),
    });
    expect(await manifestRequests(() => runtime.ensureImage(privateImage()))).toContain('-');
  });

  it('asks the registry again for other credentials, and refuses when they may not read it', async () => {
    await expect(runtime.ensureImage(privateImage(), { auth: bob })).rejects.toMatchObject({
      code: 'IMAGE_MISSING',
      message: expect.stringContaining(
        `image ${privateImage()} is on the Docker host ${docker.address}, but not as pulled with this build's registry credentials, and pulling it with them failed: `,
      ),
    });
    expect(await manifestRequests(() => runtime.ensureImage(privateImage(), { auth: bob }))).toContain('bob');
    // Refusals leave the image to those who may use it.
    await expect(runtime.ensureImage(privateImage(), { auth: alice })).resolves.toBeUndefined();
  });

  it('treats an image that comes without credentials as public: its marks go, anyone uses it', async () => {
    await runtime.ensureImage(publicImage(), { auth: alice });
    const marked = await docker.docker.getImage(publicImage()).inspect();
    expect(marked.RepoTags?.some((tag) => tag.startsWith('heckler-credentialed/'))).toBe(true);
    expect(await manifestRequests(() => runtime.ensureImage(publicImage()))).toEqual(['-']);
    const unmarked = await docker.docker.getImage(publicImage()).inspect();
    expect(unmarked.RepoTags).toEqual([publicImage()]);
    expect(await manifestRequests(() => runtime.ensureImage(publicImage()))).toEqual([]);
  });

  it('leaves images nobody pulled with credentials as they are, registry or not', async () => {
    expect(await manifestRequests(() => runtime.ensureImage(TEST_IMAGE))).toEqual([]);
  });

  it('the janitor removes the marks with the last tag of an image it removes', async () => {
    const removed = await runtime.removeImages({ olderThanMs: 0, names: [`${registry.host}/acme/private`] });
    expect(removed).toEqual([
      privateImage(),
      expect.stringMatching(/^heckler-credentialed\/[0-9a-f]{16}:[0-9a-f]{64}$/),
    ]);
    await expect(docker.docker.getImage(privateImage()).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
