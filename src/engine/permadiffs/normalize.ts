import type { ResourceChange } from '../puppet/types.js';

/** What a node's own name becomes in a permadiff's text, so host-specific diffs still group. */
export const HOST_PLACEHOLDER = '{{node}}';

/** A file checksum as Puppet reports a content change: `{md5}d41d8cd9…`, `{sha256}…`. */
const CHECKSUM = /^\{(md5|sha1|sha224|sha256|sha384|sha512)(lite)?\}[0-9a-f]+$/;
const CHECKSUM_PLACEHOLDER = '{checksum of content naming the node}';

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
 * of its identity (title, diff, event values, logs), and, when the diff named the host, the
 * content checksums of its events replaced by a placeholder. A file whose content names its host (a
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
  const diff = resource.diff === undefined ? undefined : swap(resource.diff);
  // A content that names its host has a different checksum on every node: once the diff (which
  // shows the content) names the host, the checksums in the events say nothing more and would
  // split the group, so they become a placeholder too.
  const hostChecksums = diff !== resource.diff;
  const value = (text: string | null) =>
    text === null ? null : hostChecksums && CHECKSUM.test(text) ? CHECKSUM_PLACEHOLDER : swap(text);
  const next: ResourceChange = {
    ...resource,
    title: swap(resource.title),
    events: resource.events.map((event) => ({ ...event, from: value(event.from), to: value(event.to) })),
    logs: resource.logs.map(swap),
    ...(diff === undefined ? {} : { diff }),
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
