import { compareText, sha256 } from './change-key.js';
import type { IgnoreRule } from './group.js';

/**
 * An ignore made from chat (`/heckler ignore`): one resource, with a reason and an expiry, on every
 * node or only some. Kept in the store; the review grouping turns the active ones into rules.
 */
export interface StoredIgnore {
  id: string;
  /** As typed (`File`, `Webapp::Vhost`); matched case-insensitively like Puppet types. */
  type: string;
  /** Exact title. */
  title: string;
  reason: string;
  /** The nodes it applies on, resolved when it was made; absent: every node. */
  nodes?: string[];
  /** The set named with `--set`, for the listing (its nodes are in `nodes`). */
  set?: string;
  /** Chat user who made it. */
  by: string;
  at: number;
  expiresAt: number;
}

/** Longest title accepted: a title is free text, but it is stored and shown in every review. */
export const MAX_TITLE = 500;

/** `Type[title]`: type segments as Puppet spells them (`Webapp::Vhost`), any title up to MAX_TITLE. */
export const RESOURCE_PATTERN = new RegExp(
  `^([A-Za-z][A-Za-z0-9_]*(?:::[A-Za-z][A-Za-z0-9_]*)*)\\[([^\\n]{1,${MAX_TITLE}})\\]$`,
);

export const RESOURCE_FORM =
  'TYPE[TITLE] such as File[/etc/motd], Webapp::Vhost[shop] or "Exec[apt-get update]" (quote a title with spaces)';

/** `File[/etc/motd]` → its type and title; undefined when it is not of that form. */
export const parseResource = (text: string): { type: string; title: string } | undefined => {
  const match = RESOURCE_PATTERN.exec(text);
  return match ? { type: match[1] as string, title: match[2] as string } : undefined;
};

export const isActive = (ignore: StoredIgnore, now: number): boolean => ignore.expiresAt > now;

/** The rule the grouping applies; `purpose` is the reason, shown (escaped) beside the group. */
export const ruleOf = (ignore: StoredIgnore): IgnoreRule => ({
  id: ignore.id,
  type: ignore.type,
  title: ignore.title,
  purpose: ignore.reason,
  rationale: `ignored from chat by ${ignore.by}`,
  ...(ignore.nodes ? { nodes: ignore.nodes } : {}),
});

/** The hash of no stored ignores: reviews stored before ignores existed are current against it. */
export const NO_IGNORES = '';

/**
 * What the active ignores make a review show: it changes when an ignore is made, removed or
 * expires, and then stored reviews are recomputed. Only what decides grouping counts (a reason
 * edited in place would not regroup anything); sorted, so store order does not matter.
 */
export const ignoresHash = (active: readonly StoredIgnore[]): string =>
  active.length === 0
    ? NO_IGNORES
    : sha256(
        JSON.stringify(
          active
            .map((i) => [i.id, i.type.toLowerCase(), i.title, i.nodes ?? null] as const)
            .sort((a, b) => compareText(a[0], b[0])),
        ),
      );
