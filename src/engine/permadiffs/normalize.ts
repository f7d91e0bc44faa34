import type { ResourceChange } from '../puppet/types.js';

/** What a node's own name becomes in a permadiff's text, so host-specific diffs still group. */
export const HOST_PLACEHOLDER = '{{node}}';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A replacer of the node's certname and name, longest first (the certname `web1.dc1` contains the
 * name `web1`), as whole words only: `web1` must not eat the start of `web10` or `web1-backup`.
 * A dot may follow (end of a sentence) but not precede, so `x.web1` (another domain) is kept.
 */
const hostPattern = (names: readonly string[]): RegExp | undefined => {
  const unique = [...new Set(names.filter((name) => name.length > 0))].sort((a, b) => b.length - a.length);
  if (unique.length === 0) return undefined;
  return new RegExp(`(?<![A-Za-z0-9_.-])(?:${unique.map(escapeRegExp).join('|')})(?![A-Za-z0-9_-])`, 'g');
};

/**
 * The change with the node's name and certname replaced by `{{node}}` in every text that is part
 * of its identity (title, diff, event values, logs). A file whose content names its host (a
 * `/etc/motd` saying "welcome to web1") then has one canonical change on every node, and
 * `groupDeltas` groups it like any other; file and line are untouched (they are not identity).
 * A resource with nothing to replace is returned as it is: no copy on the common path.
 */
export const normalizeHost = (
  resource: ResourceChange,
  node: { name: string; certname?: string },
): ResourceChange => {
  const pattern = hostPattern([node.certname ?? '', node.name]);
  if (pattern === undefined) return resource;
  const swap = (text: string) => text.replace(pattern, HOST_PLACEHOLDER);
  const swapNullable = (text: string | null) => (text === null ? null : swap(text));
  const next: ResourceChange = {
    ...resource,
    title: swap(resource.title),
    events: resource.events.map((event) => ({
      ...event,
      from: swapNullable(event.from),
      to: swapNullable(event.to),
    })),
    logs: resource.logs.map(swap),
    ...(resource.diff === undefined ? {} : { diff: swap(resource.diff) }),
  };
  const changed =
    next.title !== resource.title ||
    next.diff !== resource.diff ||
    next.logs.some((log, i) => log !== resource.logs[i]) ||
    next.events.some(
      (event, i) => event.from !== resource.events[i]?.from || event.to !== resource.events[i]?.to,
    );
  return changed ? next : resource;
};
