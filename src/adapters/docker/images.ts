import type Dockerode from 'dockerode';
import { HecklerError } from '../../engine/errors.js';
import type { ImageCleanup, RegistryAuth } from '../../engine/ports/containers.js';
import { engineCall, reasonOf, statusOf } from './engine-call.js';

export interface ImageDeps {
  docker: Dockerode;
  host: string;
  callTimeoutMs: number;
  pullTimeoutMs: number;
}

/** Present locally → done; else pull. Anything but an unreachable engine becomes IMAGE_MISSING. */
export const ensureImage = async (
  { docker, host, callTimeoutMs, pullTimeoutMs }: ImageDeps,
  image: string,
  options: { auth?: RegistryAuth; signal?: AbortSignal } = {},
): Promise<void> => {
  const { auth, signal } = options;
  try {
    await engineCall({ host, timeoutMs: callTimeoutMs, signal }, () => docker.getImage(image).inspect());
    return;
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
  try {
    await engineCall({ host, timeoutMs: pullTimeoutMs, signal }, async (abortSignal) => {
      const stream = await docker.pull(image, { abortSignal, ...(auth ? { authconfig: auth } : {}) });
      await pullFinished(stream);
    });
  } catch (error) {
    if (signal?.aborted || (error instanceof HecklerError && error.code === 'ENGINE_UNAVAILABLE'))
      throw error;
    throw new HecklerError(
      'IMAGE_MISSING',
      `image ${image} is not on the Docker host ${host} and could not be pulled: ${reasonOf(error)}`,
      {
        hint: 'check the image name in ocelot.yml, the registry credentials in the config, and that the host can reach the registry',
        cause: error,
      },
    );
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
    const labelled = label !== undefined && hasLabel(image.Labels ?? {}, label);
    const targets = labelled
      ? tags.length > 0
        ? tags
        : [image.Id]
      : tags.filter((tag) => listed(tag, names));
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
