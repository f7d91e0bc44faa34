import type { ReviewService } from '../engine/review/service.js';
import { fleetOf } from './fleet-args.js';
import type { Services } from './types.js';

/** The review half, or the same configuration hint as every Puppet command. */
export const reviewsOf = (services: Services): ReviewService => {
  fleetOf(services);
  if (!services.reviews) throw new Error('reviews are not wired although the fleet is');
  return services.reviews;
};
