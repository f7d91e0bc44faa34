import type { Config } from '../config/schema.js';
import { HecklerError } from '../engine/errors.js';
import { mentionAll } from '../engine/text/mrkdwn.js';
import type { CommandCall, CommandSpec, Role, RoleNeeded } from './types.js';

const roleLists: Record<Role, keyof Config['roles']> = {
  admin: 'admins',
  applier: 'appliers',
  approver: 'approvers',
  builder: 'builders',
};

/** Admins hold every role; everyone else holds the roles config lists them under. */
export const rolesOf = (user: string, roles: Config['roles']): Set<Role> => {
  if (roles.admins.includes(user)) return new Set(Object.keys(roleLists) as Role[]);
  return new Set((Object.keys(roleLists) as Role[]).filter((role) => roles[roleLists[role]].includes(user)));
};

export const hasRole = (held: ReadonlySet<Role>, needed: RoleNeeded): boolean =>
  needed === 'anyone' || held.has(needed);

export const mayRun = (spec: CommandSpec, held: ReadonlySet<Role>): boolean => hasRole(held, spec.role);

/** Throws NOT_AUTHORIZED naming the role needed and where it is granted. */
export const authorize = (
  spec: CommandSpec,
  call: CommandCall,
  held: ReadonlySet<Role>,
  config: Config,
): void => {
  if (!hasRole(held, spec.role)) throw refusal(`\`${spec.name}\``, spec.role as Role, held, config);
  for (const flag of spec.flags) {
    if (flag.role && call.flags[flag.name] !== undefined && !held.has(flag.role)) {
      throw refusal(`\`${spec.name} --${flag.name}\``, flag.role, held, config);
    }
  }
};

const refusal = (what: string, role: Role, held: ReadonlySet<Role>, config: Config): HecklerError => {
  const yours = held.size === 0 ? 'none' : [...held].sort().join(', ');
  const admins = mentionAll(config.roles.admins);
  return new HecklerError('NOT_AUTHORIZED', `${what} needs the ${role} role; your roles: ${yours}`, {
    hint: `ask an admin${admins ? ` (${admins})` : ''} to add you under roles.${roleLists[role]} in heckler.yml`,
  });
};
