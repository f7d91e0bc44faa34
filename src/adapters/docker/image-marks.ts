import { createHash } from 'node:crypto';
import type { RegistryAuth } from '../../engine/ports/containers.js';

/**
 * Which registry credentials brought an image onto a Docker host, so that a private image pulled
 * with one set of credentials is not run by a build that was not given them.
 *
 * Docker keeps one copy of an image per host whoever pulled it; `docker run` of a present image
 * asks no registry. Without a record, a build could use a private image merely because another
 * build (another repository's credentials, or credentials since removed from heckler.yml) pulled
 * it first. The record lives on the host as a tag per credential and image:
 * `heckler-credentialed/<credential id>:<image id hex>`. It is on the host, not in the bot, so it
 * survives restarts and is shared by bots on one engine; the credential id is a hash of the
 * registry and user name (never the password).
 *
 * The decision, for a build that needs `image`:
 * - not on the host: pull, with the build's credentials if it has any;
 * - present and marked with the build's own credentials: use it;
 * - present, and the build has credentials not yet marked on it: pull with them, so the registry
 *   checks that they may read it (unchanged layers are not downloaded again);
 * - present, marked with credentials, and the build has none: pull without credentials; only a
 *   public image comes through, and then its marks go (it is public);
 * - present and unmarked, the build without credentials: use it (public, or put there by the
 *   host's admin).
 */
export const MARK_REPOSITORY = 'heckler-credentialed';

/** Registry and user: the identity the registry authorises, so a password rotation keeps marks. */
export const credentialId = (auth: RegistryAuth): string =>
  createHash('sha256')
    .update(`${auth.serveraddress ?? 'docker.io'}\n${auth.username}`)
    .digest('hex')
    .slice(0, 16);

/** The tag recording that credential `credential` pulled image `imageId` (`sha256:…`). */
export const markTag = (credential: string, imageId: string): { repo: string; tag: string } => ({
  repo: `${MARK_REPOSITORY}/${credential}`,
  tag: imageId.replace(/^sha256:/, ''),
});

export const isMark = (tag: string): boolean => tag.startsWith(`${MARK_REPOSITORY}/`);

/** Credential ids marked on an image, from its `RepoTags`. */
export const marksOf = (repoTags: readonly string[] | undefined): string[] =>
  (repoTags ?? []).filter(isMark).map((tag) => tag.slice(MARK_REPOSITORY.length + 1).split(':')[0] ?? '');

/** Why a pull happens: the image is absent, or present and the pull asks the registry. */
export type PullReason = 'absent' | 'unmarked-credentials' | 'marked-without-credentials';

export type PullPlan = { pull: false } | { pull: true; check: PullReason };

export const pullPlan = (state: {
  present: boolean;
  marks: readonly string[];
  /** The build's credential id, when it pulls with credentials. */
  credential?: string | undefined;
}): PullPlan => {
  const { present, marks, credential } = state;
  if (!present) return { pull: true, check: 'absent' };
  if (credential !== undefined) {
    return marks.includes(credential) ? { pull: false } : { pull: true, check: 'unmarked-credentials' };
  }
  return marks.length > 0 ? { pull: true, check: 'marked-without-credentials' } : { pull: false };
};
