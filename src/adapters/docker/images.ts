import type Dockerode from 'dockerode';
import { HecklerError } from '../../engine/errors.js';
import type { ImageCleanup, RegistryAuth } from '../../engine/ports/containers.js';
import { engineCall, reasonOf, statusOf } from './engine-call.js';
import { credentialId, isMark, marksOf, markTag, type PullReason, pullPlan } from './image-marks.js';

export interface ImageDeps {
  docker: Dockerode;
  host: string;
  callTimeoutMs: number;
  pullTimeoutMs: number;
}

/**
 * Present locally and usable by this build → done; else pull. Whether a present image may be used
 * without asking its registry depends on the credentials it was pulled with (image-marks.ts).
 * Anything but an unreachable engine becomes IMAGE_MISSING.
 */
export const ensureImage = async (
  deps: ImageDeps,
  image: string,
  options: { auth?: RegistryAuth; signal?: AbortSignal } = {},
): Promise<void> => {
  const { docker, host, pullTimeoutMs } = deps;
  const { auth, signal } = options;
  const credential = auth ? credentialId(auth) : undefined;
  const local = await inspectImage(deps, image, signal);
  const plan = pullPlan({ present: local !== undefined, marks: marksOf(local?.RepoTags), credential });
  if (!plan.pull) return;
  try {
    await engineCall({ host, timeoutMs: pullTimeoutMs, signal }, async (abortSignal) => {
      const stream = await docker.pull(image, { abortSignal, ...(auth ? { authconfig: auth } : {}) });
      await pullFinished(stream);
    });
  } catch (error) {
    if (signal?.aborted || (error instanceof HecklerError && error.code === 'ENGINE_UNAVAILABLE'))
      throw error;
    throw new HecklerError('IMAGE_MISSING', `${pullFailure(image, host, plan.check)}: ${reasonOf(error)}`, {
      hint:
        plan.check === 'absent'
          ? 'check the image name in ocelot.yml, the registry credentials in the config, and that the host can reach the registry'
          : 'a private image is used only by builds given credentials that may pull it: check builds.registries for its registry, or use a public image',
      cause: error,
    });
  }
  await recordCredentials(deps, image, credential, signal);
};

const pullFailure = (image: string, host: string, check: PullReason): string => {
  switch (check) {
    case 'absent':
      return `image ${image} is not on the Docker host ${host} and could not be pulled`;
    case 'unmarked-credentials':
      return `image ${image} is on the Docker host ${host}, but not as pulled with this build's registry credentials, and pulling it with them failed`;
    case 'marked-without-credentials':
      return `image ${image} is on the Docker host ${host} only as pulled with registry credentials this build is not given, and pulling it without credentials failed`;
  }
};

const inspectImage = async (
  { docker, host, callTimeoutMs }: ImageDeps,
  image: string,
  signal: AbortSignal | undefined,
): Promise<{ Id: string; RepoTags?: string[] } | undefined> => {
  try {
    return await engineCall({ host, timeoutMs: callTimeoutMs, signal }, () =>
      docker.getImage(image).inspect(),
    );
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
};

/**
 * After a pull: with credentials, mark the image with them; without, it came from the registry
 * without any, so it is public and earlier marks no longer restrict it.
 */
const recordCredentials = async (
  deps: ImageDeps,
  image: string,
  credential: string | undefined,
  signal: AbortSignal | undefined,
): Promise<void> => {
  const { docker, host, callTimeoutMs } = deps;
  const pulled = await inspectImage(deps, image, signal);
  if (!pulled) return;
  const call = <T>(operation: () => Promise<T>) =>
    engineCall({ host, timeoutMs: callTimeoutMs, signal }, operation);
  if (credential !== undefined) {
    if (marksOf(pulled.RepoTags).includes(credential)) return;
    await call(() => docker.getImage(pulled.Id).tag(markTag(credential, pulled.Id)));
    return;
  }
  for (const mark of (pulled.RepoTags ?? []).filter(isMark)) {
    await call(() => docker.getImage(mark).remove({ noprune: true })).catch((error: unknown) => {
      if (statusOf(error) !== 404) throw error;
    });
  }
};

/** The engine reports pull failures inside the progress stream, as a line with `error`. */
const pullFinished = (stream: NodeJS.ReadableStream): Promise<void> =>
  new Promise((resolve, reject) => {
    let buffered = '';
    let failure: string | undefined;
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) failure ??= progressError(line);
    });
    stream.on('error', reject);
    stream.on('end', () => {
      failure ??= progressError(buffered);
      if (failure) reject(new Error(failure));
      else resolve();
    });
  });

const progressError = (line: string): string | undefined => {
  if (line.trim() === '') return undefined;
  try {
    const event = JSON.parse(line) as { error?: unknown };
    return typeof event.error === 'string' ? event.error : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Unused images older than the limit that we can tell are ours: by label, or by name from the
 * configured list. A tag outside the list is left alone, so an image shared with someone else
 * only loses our tags.
 */
export const removeImages = async (
  { docker, host, callTimeoutMs }: ImageDeps,
  { olderThanMs, label, names = [] }: ImageCleanup,
): Promise<string[]> => {
  if (!label && names.length === 0) return [];
  const call = <T>(operation: (abortSignal: AbortSignal) => Promise<T>) =>
    engineCall({ host, timeoutMs: callTimeoutMs }, operation);
  const images = await call((abortSignal) => docker.listImages({ abortSignal }));
  const containers = await call((abortSignal) => docker.listContainers({ all: true, abortSignal }));
  const inUse = new Set(containers.map((container) => container.ImageID));
  const cutoff = Date.now() - olderThanMs;
  const removed: string[] = [];
  for (const image of images) {
    if (inUse.has(image.Id) || image.Created * 1000 > cutoff) continue;
    const tags = (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
    const named = tags.filter((tag) => !isMark(tag));
    const labelled = label !== undefined && hasLabel(image.Labels ?? {}, label);
    const ours = labelled ? named : named.filter((tag) => listed(tag, names));
    // Credential marks are ours too; they go with the last of the image's other tags (or alone).
    const marks = ours.length === named.length ? tags.filter(isMark) : [];
    const targets = labelled && tags.length === 0 ? [image.Id] : [...ours, ...marks];
    for (const target of targets) {
      try {
        await call((abortSignal) => docker.getImage(target).remove({ abortSignal }));
        removed.push(target);
      } catch (error) {
        // Taken into use or removed by someone else since the listing: not ours to fight over.
        if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
      }
    }
  }
  return removed;
};

export const hasLabel = (labels: Record<string, string>, wanted: string): boolean => {
  const equals = wanted.indexOf('=');
  if (equals < 0) return wanted in labels;
  return labels[wanted.slice(0, equals)] === wanted.slice(equals + 1);
};

/** `repo:tag` matches itself; `repo` matches every tag of it (the tag follows the last colon after any `/`). */
const listed = (tag: string, names: readonly string[]): boolean => {
  const colon = tag.lastIndexOf(':');
  const repo = colon > tag.lastIndexOf('/') ? tag.slice(0, colon) : tag;
  return names.some((name) => name === tag || name === repo);
};
