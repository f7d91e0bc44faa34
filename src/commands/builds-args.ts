import { REPO_NAME } from '../config/builds-schema.js';
import type { BuildService } from '../engine/builds/service.js';
import { HecklerError } from '../engine/errors.js';
import { REVISION_PATTERN } from './fleet-args.js';
import type { ArgSpec, Services } from './types.js';

/**
 * Shared grammar of the build commands, so every one names repositories and builds the same way.
 * A repository that is not watched is refused by the build service in one wording for all of
 * them ("infra/apy is not watched (did you mean infra/api?); /heckler watch REPO URL adds one").
 */
export const repoArg: ArgSpec = {
  name: 'REPO',
  description: 'a watched repository such as infra/api (`puppet`: the Puppet repository, with repo.build)',
  required: true,
  pattern: new RegExp(`${REPO_NAME.source}|^puppet$`),
  patternHint: 'a repository name such as infra/api, or puppet',
};

export const revArg: ArgSpec = {
  name: 'REV',
  description: 'a branch, tag or commit SHA (default: the default branch)',
  pattern: REVISION_PATTERN,
  patternHint: 'a branch, tag or SHA such as main, v1.2 or 3f9c2e1',
};

export const buildIdArg: ArgSpec = {
  name: 'ID',
  description: 'a build number, as `/heckler builds` lists them',
  required: true,
  pattern: /^\d{1,9}$/,
  patternHint: 'a build number such as 812',
};

/** The CI half, or how to turn it on. */
export const buildsOf = (services: Services): BuildService => {
  if (services.builds) return services.builds;
  throw new HecklerError('CONFIG_INVALID', 'builds are not set up on this bot', {
    hint: 'add a repository under builds.repos in heckler.yml and restart (README.md, "Builds")',
  });
};

/** Where build messages are posted (a pipeline's notify.slack.channel may send them elsewhere). */
export const buildsChannel = (services: Services): string =>
  services.config.builds.channel ?? services.config.chat.channel;
