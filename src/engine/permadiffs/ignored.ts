import { ruleOf, type StoredIgnore } from '../delta/ignores.js';
import type { IgnoreRule } from '../delta/index.js';
import { type PermadiffGroup, permadiffNodes } from './state.js';

/**
 * An ignore as the permadiff views apply it: a rule (from `/heckler ignore` or `approvals.ignore`)
 * and, for one made from chat, who made it and until when.
 */
export interface PermadiffIgnore {
  rule: IgnoreRule;
  /** Chat user who made it; absent for rules in heckler.yml. */
  by?: string;
  /** Epoch milliseconds; absent for rules in heckler.yml (they last as long as the config). */
  expiresAt?: number;
}

/** A standing permadiff on the nodes it stands on (an ignore may have taken some of them). */
export interface PermadiffEntry {
  group: PermadiffGroup;
  /** Sorted naturally. */
  nodes: string[];
  /** `Type[title]`, literal: made once, read by the sort, the snapshot and the file. */
  name: string;
}

/** The part of a permadiff an ignore collapses: shown on one line, never counted or sent to owners. */
export interface IgnoredEntry extends PermadiffEntry {
  ignore: PermadiffIgnore;
}

export interface SplitPermadiffs {
  /** Biggest first (most nodes), then by resource name. */
  standing: PermadiffEntry[];
  ignored: IgnoredEntry[];
}

const nameOf = (group: PermadiffGroup) => `${group.resource.type}[${group.resource.title}]`;

/** The matcher of `approvals.ignore` rules: type case-insensitively, exact title, or a title pattern. */
const matches = (rule: IgnoreRule, group: PermadiffGroup): boolean => {
  if (rule.type.toLowerCase() !== group.resource.type.toLowerCase()) return false;
  if (rule.title !== undefined && rule.title !== group.resource.title) return false;
  if (rule.titlePattern !== undefined && !new RegExp(rule.titlePattern).test(group.resource.title))
    return false;
  return true;
};

/** Biggest first (the groups on most nodes lead a digest), then by name. */
export const biggestFirst = <T extends PermadiffEntry>(entries: T[]): T[] =>
  entries.sort((a, b) => b.nodes.length - a.nodes.length || (a.name < b.name ? -1 : 1));

/**
 * The standing permadiffs with the ignores applied, in order (the first ignore that applies to a
 * node wins, as in reviews). An ignore scoped to some nodes collapses the group there only: the
 * rest of it still stands, with the nodes it stands on.
 */
export const splitIgnored = (
  groups: Iterable<PermadiffGroup>,
  minRuns: number,
  ignores: readonly PermadiffIgnore[],
): SplitPermadiffs => {
  const out: SplitPermadiffs = { standing: [], ignored: [] };
  for (const group of groups) {
    if (group.resolvedAt !== undefined) continue;
    let left = permadiffNodes(group, minRuns);
    if (left.length === 0) continue;
    const name = nameOf(group);
    for (const ignore of ignores) {
      if (left.length === 0) break;
      if (!matches(ignore.rule, group)) continue;
      const scope = ignore.rule.nodes ? new Set(ignore.rule.nodes) : undefined;
      const taken = scope ? left.filter((node) => scope.has(node)) : left;
      if (taken.length === 0) continue;
      out.ignored.push({ group, nodes: taken, name, ignore });
      left = scope ? left.filter((node) => !scope.has(node)) : [];
    }
    if (left.length > 0) out.standing.push({ group, nodes: left, name });
  }
  biggestFirst(out.standing);
  biggestFirst(out.ignored);
  return out;
};

/** Chat ignores (in the order they were made) first, then the rules kept in heckler.yml. */
export const permadiffIgnores = (
  stored: readonly StoredIgnore[],
  configured: readonly IgnoreRule[],
): PermadiffIgnore[] => [
  ...stored.map((ignore) => ({ rule: ruleOf(ignore), by: ignore.by, expiresAt: ignore.expiresAt })),
  ...configured.map((rule) => ({ rule })),
];
