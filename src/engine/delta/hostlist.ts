/**
 * Host lists as people read them: `web{01..12}.dc1`, `web{01..03,05}.dc1, db1` (DESIGN.md §3.4).
 * Names are node names (`[a-z0-9.-]`), so braces, commas and dots-dots never occur inside one.
 */

const isDigit = (code: number) => code >= 48 && code <= 57;

/**
 * `web2` before `web10`: runs of digits compare by value (any length, no precision loss), the
 * rest by character; equal numbers with fewer leading zeros first, as a last resort. A scanner
 * rather than split(): host lists sort thousands of names, and this allocates nothing.
 */
export const naturalCompare = (a: string, b: string): number => {
  let i = 0;
  let j = 0;
  let padding = 0;
  while (i < a.length && j < b.length) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(j);
    if (!isDigit(x) || !isDigit(y)) {
      if (x !== y) return x - y;
      i++;
      j++;
      continue;
    }
    let endA = i;
    let endB = j;
    while (endA < a.length && isDigit(a.charCodeAt(endA))) endA++;
    while (endB < b.length && isDigit(b.charCodeAt(endB))) endB++;
    let startA = i;
    let startB = j;
    while (startA < endA - 1 && a.charCodeAt(startA) === 48) startA++;
    while (startB < endB - 1 && b.charCodeAt(startB) === 48) startB++;
    if (endA - startA !== endB - startB) return endA - startA - (endB - startB);
    for (let k = 0; k < endA - startA; k++) {
      const order = a.charCodeAt(startA + k) - b.charCodeAt(startB + k);
      if (order !== 0) return order;
    }
    if (padding === 0) padding = endA - i - (endB - j);
    i = endA;
    j = endB;
  }
  return a.length - i - (b.length - j) || padding;
};

/** Strictly ascending: sorted, and (naturalCompare is 0 only for equal names) without repeats. */
const ascending = (names: readonly string[]): boolean => {
  for (let i = 1; i < names.length; i++)
    if (naturalCompare(names[i - 1] as string, names[i] as string) >= 0) return false;
  return true;
};

/**
 * Sorted naturally, checked before sorting: node lists nearly always arrive sorted (grouping
 * emits them so), and one pass over 2,000 names costs a fraction of sorting them again.
 */
const sortedNaturally = <T>(items: T[], key: (item: T) => string): T[] => {
  for (let i = 1; i < items.length; i++)
    if (naturalCompare(key(items[i - 1] as T), key(items[i] as T)) > 0)
      return items.sort((a, b) => naturalCompare(key(a), key(b)));
  return items;
};
const itself = (name: string) => name;

/** `d` is `previous` + 1; exact for any length (BigInt only past double precision). */
const follows = (previous: string, d: string): boolean =>
  d.length < 16 ? Number(d) === Number(previous) + 1 : BigInt(d) === BigInt(previous) + 1n;

interface Member {
  name: string;
  /** The digits of the varying field, as written (`01`). */
  digits: string;
}

/** A leading zero makes a field fixed-width: `{01..12}` means 01, 02 … 12, as in bash. */
const padded = (digits: string) => digits.length > 1 && digits.startsWith('0');

const digitsOnly = (text: string, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return to > from;
};

/**
 * The family every name is in when each has exactly one run of digits, between the same prefix
 * and suffix (`web0001` … `web2000`: most host lists): the one family there is, so the general
 * search below would find it alone. Names sorted, distinct, at least two.
 */
const oneFamily = (
  names: readonly string[],
): { prefix: string; suffix: string; digits: string[] } | undefined => {
  const first = names[0] as string;
  let start = 0;
  while (start < first.length && !isDigit(first.charCodeAt(start))) start++;
  let end = start;
  while (end < first.length && isDigit(first.charCodeAt(end))) end++;
  if (start === end) return undefined;
  for (let i = end; i < first.length; i++) if (isDigit(first.charCodeAt(i))) return undefined;
  const prefix = first.slice(0, start);
  const suffix = first.slice(end);
  const digits: string[] = [];
  for (const name of names) {
    const to = name.length - suffix.length;
    if (!name.startsWith(prefix) || !name.endsWith(suffix) || !digitsOnly(name, prefix.length, to))
      return undefined;
    digits.push(name.slice(prefix.length, to));
  }
  // Same prefix and suffix: the names' natural order is their numbers' order, so no sort.
  return { prefix, suffix, digits };
};

/**
 * Folds names into brace expressions. Each name joins one family: names equal except for one
 * numeric field. Larger families are taken first (ties: the earlier field, so `web01.dc1` varies
 * the host number before the data centre); a name left alone stays as it is.
 * Sorted naturally by the first name each entry stands for.
 */
export const compressHosts = (names: readonly string[]): string[] => {
  if (names.length < 2) return [...names];
  // Sorted first, so ties between families fall the same way whatever order the names came in.
  const unique = ascending(names) ? names : [...new Set(names)].sort(naturalCompare);
  const family = oneFamily(unique);
  if (family !== undefined) return [`${family.prefix}{${ranges(family.digits).join(',')}}${family.suffix}`];
  const candidates = new Map<string, { field: number; prefix: string; suffix: string; members: Member[] }>();
  for (const name of unique) {
    // Each run of digits is a field (numbered 1, 3, 5 … as a split on digit runs would place them).
    let field = -1;
    for (let start = 0; start < name.length; start++) {
      if (!isDigit(name.charCodeAt(start))) continue;
      let end = start + 1;
      while (end < name.length && isDigit(name.charCodeAt(end))) end++;
      field += 2;
      const prefix = name.slice(0, start);
      const suffix = name.slice(end);
      const key = `${field}\u0000${prefix}\u0000${suffix}`;
      const member = { name, digits: name.slice(start, end) };
      const candidate = candidates.get(key);
      if (candidate === undefined) candidates.set(key, { field, prefix, suffix, members: [member] });
      else candidate.members.push(member);
      start = end;
    }
  }
  // A family of one is no family: those names stay plain, and sorting them would be wasted.
  const order = [...candidates.values()]
    .filter((candidate) => candidate.members.length > 1)
    .sort(
      (a, b) =>
        b.members.length - a.members.length ||
        a.field - b.field ||
        naturalCompare(a.prefix, b.prefix) ||
        naturalCompare(a.suffix, b.suffix),
    );
  const taken = new Set<string>();
  const entries: { first: string; text: string }[] = [];
  for (const candidate of order) {
    const members = candidate.members.filter((member) => !taken.has(member.name));
    if (members.length < 2) continue;
    for (const member of members) taken.add(member.name);
    // Names of one family differ only in this field, so in name order their digits are in order too.
    const digits = sortedNaturally(
      members.map((member) => member.digits),
      itself,
    );
    entries.push({
      first: `${candidate.prefix}${digits[0]}${candidate.suffix}`,
      text: `${candidate.prefix}{${ranges(digits).join(',')}}${candidate.suffix}`,
    });
  }
  for (const name of unique) if (!taken.has(name)) entries.push({ first: name, text: name });
  return sortedNaturally(entries, (entry) => entry.first).map((entry) => entry.text);
};

/**
 * Runs of consecutive numbers written alike: padded fields of one width together, unpadded ones
 * together (`9..10` is fine unpadded; `09..10` is a width-2 run). Three or more become `a..b`.
 */
const ranges = (digits: readonly string[]): string[] => {
  const widths = new Set<number>();
  for (const d of digits) if (padded(d)) widths.add(d.length);
  // By width, 0 for unpadded numbers; an unpadded number as wide as a padded class (10 beside 09)
  // joins it: 08..12 reads better. Classes keep the order they first appear in.
  const classes = new Map<number, string[]>();
  for (const d of digits) {
    const cls = widths.has(d.length) ? d.length : 0;
    const members = classes.get(cls);
    if (members) members.push(d);
    else classes.set(cls, [d]);
  }
  const out: { first: string; text: string }[] = [];
  for (const members of classes.values()) {
    let start = 0;
    for (let i = 1; i <= members.length; i++) {
      if (i < members.length && follows(members[i - 1] as string, members[i] as string)) continue;
      const first = members[start] as string;
      if (i - start >= 3) out.push({ first, text: `${first}..${members[i - 1]}` });
      else
        for (let k = start; k < i; k++) out.push({ first: members[k] as string, text: members[k] as string });
      start = i;
    }
  }
  return sortedNaturally(out, (piece) => piece.first).map((piece) => piece.text);
};

/** One entry (`web{01..03,05}.dc1` or a plain name) → the names it stands for. */
export const expandHost = (entry: string): string[] => {
  const match = /^([^{}]*)\{([^{}]*)\}([^{}]*)$/.exec(entry);
  if (!match) return [entry];
  const [, prefix = '', body = '', suffix = ''] = match;
  return body.split(',').flatMap((piece) => {
    const range = /^(\d+)\.\.(\d+)$/.exec(piece);
    if (!range) return [`${prefix}${piece}${suffix}`];
    const [, from = '', to = ''] = range;
    const width = padded(from) || padded(to) ? Math.max(from.length, to.length) : 0;
    const names: string[] = [];
    for (let n = BigInt(from); n <= BigInt(to); n++)
      names.push(`${prefix}${String(n).padStart(width, '0')}${suffix}`);
    return names;
  });
};

export const expandHosts = (entries: readonly string[]): string[] => entries.flatMap(expandHost);
