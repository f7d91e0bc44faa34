import type { CommitInfo, Person } from '../../engine/ports/repo.js';

// Fields are split by the ASCII unit separator and commits by NUL (`git log -z`): neither can
// appear in names, dates or subjects, and the body, the only free text, comes last so that a
// stray separator inside it stays part of the body.
const FIELD = '\x1f';
const TRAILER = '\x1e';
const fields = [
  '%H',
  '%h',
  '%P',
  '%an',
  '%ae',
  '%cn',
  '%ce',
  '%ct',
  `%(trailers:key=Co-authored-by,valueonly,unfold,separator=%x1e)`,
  '%s',
  '%b',
];

/** `--format=` for `git log -z`, read back by `parseCommits`. */
export const COMMIT_FORMAT = `--format=${fields.join('%x1f')}`;

/** Parses `Name <email>` as written in trailers; a value without an email keeps only the name. */
export const parsePerson = (text: string): Person | undefined => {
  const trimmed = text.trim();
  const match = /^(.*?)\s*<([^<>]*)>$/.exec(trimmed);
  const person = match
    ? { name: match[1] ?? '', email: match[2]?.trim() ?? '' }
    : { name: trimmed, email: '' };
  return person.name || person.email ? person : undefined;
};

const samePerson = (a: Person, b: Person): boolean =>
  a.email !== '' || b.email !== ''
    ? a.email.toLowerCase() === b.email.toLowerCase()
    : a.name.toLowerCase() === b.name.toLowerCase();

/** Co-authors from trailer values: deduplicated (by email, else name) and without the author. */
export const coAuthorsOf = (values: readonly string[], author: Person): Person[] => {
  const people: Person[] = [];
  for (const value of values) {
    const person = parsePerson(value);
    if (!person || samePerson(person, author) || people.some((known) => samePerson(known, person))) continue;
    people.push(person);
  }
  return people;
};

const parseOne = (record: string): CommitInfo => {
  const [
    sha,
    shortSha,
    parents,
    name,
    email,
    committerName,
    committerEmail,
    time,
    trailers,
    subject,
    ...body
  ] = record.split(FIELD);
  if (sha === undefined || subject === undefined) throw new Error(`unexpected git log record: ${record}`);
  const author = { name: name ?? '', email: email ?? '' };
  return {
    sha,
    shortSha: shortSha ?? sha.slice(0, 7),
    subject,
    body: body.join(FIELD).trimEnd(),
    author,
    committer: { name: committerName ?? '', email: committerEmail ?? '' },
    coAuthors: coAuthorsOf((trailers ?? '').split(TRAILER), author),
    parents: (parents ?? '').split(' ').filter(Boolean),
    date: Number(time) * 1000,
  };
};

/** Reads the output of `git log -z COMMIT_FORMAT`. */
export const parseCommits = (output: string): CommitInfo[] =>
  output
    .split('\x00')
    .map((record) => record.replace(/^\n/, ''))
    .filter((record) => record.length > 0)
    .map(parseOne);
