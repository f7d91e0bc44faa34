import type { ResourceChange } from '../puppet/types.js';

/** What a node's own name becomes in a permadiff's text, so host-specific diffs still group. */
export const HOST_PLACEHOLDER = '{{node}}';

/** A file checksum as Puppet reports a content change: `{md5}d41d8cd9…`, `{sha256}…`. */
const CHECKSUM = /^\{(md5|sha1|sha224|sha256|sha384|sha512)(lite)?\}[0-9a-f]+$/;
const CHECKSUM_PLACEHOLDER = '{checksum of content naming the node}';

/** Characters that may not touch a name on its left (a dot: `x.web1` is another domain) or right. */
const wordBefore = (code: number) => isWordChar(code) || code === 46; /* . */
const isWordChar = (code: number) =>
  (code >= 48 && code <= 57) ||
  (code >= 65 && code <= 90) ||
  (code >= 97 && code <= 122) ||
  code === 95 ||
  code === 45;

/**
 * A replacer of the node's certname and name, longest first (the certname `web1.dc1` contains the
 * name `web1`), as whole words only: `web1` must not eat the start of `web10` or `web1-backup`.
 * A dot may follow (end of a sentence) but not precede, so `x.web1` (another domain) is kept.
 * Plain index scans, not a regex: one pattern compiled per node cost more than the whole scan.
 */
const hostReplacer = (names: readonly string[]): ((text: string) => string) | undefined => {
  const unique = [...new Set(names.filter((name) => name.length > 0))].sort((a, b) => b.length - a.length);
  if (unique.length === 0) return undefined;
  return (text) => {
    let out = '';
    let from = 0;
    let i = 0;
    while (i < text.length) {
      let matched = '';
      for (const name of unique) {
        if (text.startsWith(name, i)) {
          matched = name;
          break;
        }
      }
      const end = i + matched.length;
      if (
        matched !== '' &&
        (i === 0 || !wordBefore(text.charCodeAt(i - 1))) &&
        (end >= text.length || !isWordChar(text.charCodeAt(end)))
      ) {
        out += text.slice(from, i) + HOST_PLACEHOLDER;
        i = end;
        from = end;
        continue;
      }
      // Jump to the next place any name could start.
      let next = text.length;
      for (const name of unique) {
        const at = text.indexOf(name, i + 1);
        if (at !== -1 && at < next) next = at;
      }
      i = next;
    }
    return from === 0 ? text : out + text.slice(from);
  };
};

/** True when any text of the change's identity mentions one of `names` (a cheap test before any replacing). */
const mentions = (resource: ResourceChange, names: readonly string[]): boolean => {
  const has = (text: string | null | undefined) =>
    text !== null && text !== undefined && names.some((name) => text.includes(name));
  return (
    has(resource.title) ||
    has(resource.diff) ||
    resource.logs.some(has) ||
    resource.events.some((event) => has(event.from) || has(event.to))
  );
};

/**
 * The change with the node's name and certname replaced by `{{node}}` in every text that is part
 * of its identity (title, diff, event values, logs), and, when the diff named the host, the
 * content checksums of its events replaced by a placeholder. A file whose content names its host (a
 * `/etc/motd` saying "welcome to web1") then has one canonical change on every node, and
 * `groupDeltas` groups it like any other; file and line are untouched (they are not identity).
 * A resource that does not mention the node is returned as it is: no copy on the common path.
 * Made once per node, applied to each of its changes.
 */
export const hostNormalizer = (node: {
  name: string;
  certname?: string;
}): ((resource: ResourceChange) => ResourceChange) => {
  const names = [node.certname ?? '', node.name].filter((name) => name.length > 0);
  const replacer = hostReplacer(names);
  if (replacer === undefined) return (resource) => resource;
  const swap = replacer;
  // A text naming the certname `web1.dc1` names `web1` too: one search for the shorter does.
  const searched = names.filter((name) => !names.some((other) => other !== name && name.includes(other)));
  return (resource) => {
    if (!mentions(resource, searched)) return resource;
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
};

/** `hostNormalizer` for one change (tests, one-offs); a scan makes one normalizer per node. */
export const normalizeHost = (
  resource: ResourceChange,
  node: { name: string; certname?: string },
): ResourceChange => hostNormalizer(node)(resource);
