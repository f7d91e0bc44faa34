import { HecklerError } from '../errors.js';
import type { ResourceChange } from '../puppet/types.js';
import type { IgnoreRule } from './group.js';

/** Ignore rules made ready for grouping: what `groupDeltas` and `groupHashed` share. */

/** What a rule reads of a change: its type and title. */
export type Named = Pick<ResourceChange, 'type' | 'title'>;
type Matcher = (resource: Named) => boolean;

/** Puppet type names are case-insensitive (`file` and `File` are one type). */
const matcherOf = (rule: IgnoreRule): Matcher => {
  const type = rule.type.toLowerCase();
  let pattern: RegExp | undefined;
  try {
    pattern = rule.titlePattern === undefined ? undefined : new RegExp(rule.titlePattern);
  } catch (cause) {
    throw new HecklerError('CONFIG_INVALID', `approvals.ignore: invalid titlePattern ${rule.titlePattern}`, {
      cause,
    });
  }
  return (resource) =>
    resource.type.toLowerCase() === type &&
    (rule.title === undefined || resource.title === rule.title) &&
    (pattern === undefined || pattern.test(resource.title));
};

/** Which rule (by index) ignores a resource on a node, for types some node-scoped rule names. */
export type PartitionOf = (resource: Named, node: string) => string;

/**
 * Where a resource's changes are collected: '' for types no node-scoped rule names (the common
 * case: one index, matched once per group as before), else the index of the first rule ignoring it
 * on that node ('-' for none), so a change ignored on some nodes and not on others forms two groups.
 */
const partitioner = (rules: readonly { rule: IgnoreRule; matches: Matcher }[]): PartitionOf => {
  const scopedTypes = new Set(
    rules.filter(({ rule }) => rule.nodes).map(({ rule }) => rule.type.toLowerCase()),
  );
  if (scopedTypes.size === 0) return () => '';
  const scopes = rules.map(({ rule }) => (rule.nodes ? new Set(rule.nodes) : undefined));
  return (resource, node) => {
    if (!scopedTypes.has(resource.type.toLowerCase())) return '';
    const index = rules.findIndex(
      ({ matches }, i) => (scopes[i] === undefined || scopes[i].has(node)) && matches(resource),
    );
    return index < 0 ? '-' : String(index);
  };
};

/** The rule as a group shows it: its node list stays with the rule, not copied into every review. */
const shown = (rule: IgnoreRule): IgnoreRule => {
  if (rule.nodes === undefined) return rule;
  const { nodes: _, ...rest } = rule;
  return rest;
};

export interface CompiledRules {
  partitionOf: PartitionOf;
  /** The rule (as shown) ignoring a group's change collected in `partition`, if any. */
  ignoredBy(partition: string, resource: Named): IgnoreRule | undefined;
}

/** `ignored` is matched in order: the first rule that applies to a change on a node wins. */
export const compileRules = (ignored: readonly IgnoreRule[]): CompiledRules => {
  const rules = ignored.map((rule) => ({ rule, matches: matcherOf(rule) }));
  const unscoped = rules.filter(({ rule }) => rule.nodes === undefined);
  return {
    partitionOf: partitioner(rules),
    ignoredBy(partition, resource) {
      const rule =
        partition === ''
          ? unscoped.find((each) => each.matches(resource))?.rule
          : rules[Number(partition)]?.rule;
      return rule === undefined ? undefined : shown(rule);
    },
  };
};
