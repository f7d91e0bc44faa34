import type { StoredIgnore } from '../engine/delta/ignores.js';
import { HecklerError } from '../engine/errors.js';
import type { IgnoreService } from '../engine/ignores/service.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import type { Services } from './types.js';

/** The store-backed ignores, or a clear word on how to configure them. */
export const ignoresOf = (services: Services): IgnoreService => {
  // Through the review service too: the composition root hands that over already.
  const found = services.ignores ?? services.reviews?.ignores;
  if (found) return found;
  throw new HecklerError('CONFIG_INVALID', 'ignores need a Puppet repository, and none is configured', {
    hint: 'add `repo.url` and `fleet.nodes` to heckler.yml (see the configuration reference in README.md)',
  });
};

/** `Type[title]` as chat shows it: literal text in code, escaped. */
export const resourceText = (ignore: Pick<StoredIgnore, 'type' | 'title'>): string =>
  `\`${escapeText(`${ignore.type}[${ignore.title}]`)}\``;

/** Where it applies: every node, a set (with its nodes at the time), or a node list. */
export const scopeText = (ignore: Pick<StoredIgnore, 'nodes' | 'set'>): string => {
  if (ignore.nodes === undefined) return 'on every node';
  const nodes = escapeText(ignore.nodes.join(', '));
  return ignore.set === undefined ? `on ${nodes}` : `on set ${escapeText(ignore.set)} (${nodes})`;
};

/** Minutes are enough for expiries counted in days. */
export const when = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
