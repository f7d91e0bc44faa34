import type { DecisionRequest, ReviewService } from '../engine/review/service.js';
import { fleetOf, REVISION_PATTERN } from './fleet-args.js';
import type { ArgSpec, CommandContext, Services } from './types.js';

/** The review half, or the same configuration hint as every Puppet command. */
export const reviewsOf = (services: Services): ReviewService => {
  fleetOf(services);
  if (!services.reviews) throw new Error('reviews are not wired although the fleet is');
  return services.reviews;
};

/** How much of a delta hash a message shows and a button carries. */
export const SHOWN_HASH_LENGTH = 12;

/** `REV` or `REV@HASH`: the revision, pinned to the delta shown (buttons always pin it). */
export const pinnedRevisionArg: ArgSpec = {
  name: 'REV',
  description: 'a tag, branch or SHA; `REV@HASH` decides only if the delta is still the one with that hash',
  required: true,
  // REV, REV@HASH, or (approve) A..B: REVISION_PATTERN admits the dots; each side is validated again.
  pattern: new RegExp(`${REVISION_PATTERN.source.slice(0, -1)}(?:@[0-9a-fA-F]{8,64})?$`),
  patternHint:
    'a tag, branch or SHA such as 3f9c2e1, optionally @ the delta hash shown (3f9c2e1@9a8b7c6d5e4f)',
};

export const splitPinned = (text: string): { revision: string; shownHash?: string } => {
  const match = /^(.+)@([0-9a-fA-F]{8,64})$/.exec(text);
  return match ? { revision: match[1] as string, shownHash: match[2] as string } : { revision: text };
};

/** The parts of a decision every decide command fills in the same way. */
export const decisionBasics = (ctx: CommandContext, shownHash: string | undefined) =>
  ({
    user: ctx.user,
    roles: ctx.roles,
    via: ctx.source ? 'button' : 'command',
    origin: ctx.origin,
    ...(shownHash ? { shownHash } : {}),
  }) satisfies Partial<DecisionRequest>;
