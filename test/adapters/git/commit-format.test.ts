import { describe, expect, it } from 'vitest';
import { coAuthorsOf, parseCommits, parsePerson } from '../../../src/adapters/git/commit-format.js';

describe('parsePerson', () => {
  it.each([
    ['Dave <dave@example.com>', { name: 'Dave', email: 'dave@example.com' }],
    ['  Erin Evans   < erin@example.com > ', { name: 'Erin Evans', email: 'erin@example.com' }],
    ['<bot@example.com>', { name: '', email: 'bot@example.com' }],
    ['Just A Name', { name: 'Just A Name', email: '' }],
    ['', undefined],
    ['   ', undefined],
  ])('%j', (text, person) => {
    expect(parsePerson(text)).toEqual(person);
  });
});

describe('coAuthorsOf', () => {
  const author = { name: 'Erin Evans', email: 'erin@example.com' };
  it.each([
    [['Dave <dave@example.com>'], ['dave@example.com']],
    [['Dave <dave@example.com>', 'David <DAVE@example.com>'], ['dave@example.com']],
    [['Erin <ERIN@example.com>', 'Dave <dave@example.com>'], ['dave@example.com']],
    [
      ['', 'Carol <carol@example.com>', 'Dave <dave@example.com>'],
      ['carol@example.com', 'dave@example.com'],
    ],
    [[], []],
  ])('%j', (values, emails) => {
    expect(coAuthorsOf(values, author).map((person) => person.email)).toEqual(emails);
  });

  it('compares people without an email by name', () => {
    const noEmail = { name: 'Erin Evans', email: '' };
    expect(coAuthorsOf(['Erin Evans', 'Pat', 'pat'], noEmail)).toEqual([{ name: 'Pat', email: '' }]);
  });
});

describe('parseCommits', () => {
  it('keeps a body that contains the field separator whole', () => {
    const record = [
      'a'.repeat(40),
      'aaaaaaa',
      '',
      'A',
      'a@x',
      'C',
      'c@x',
      '1700000000',
      '',
      'subject',
      'body\x1fmore\n',
    ];
    const [commit] = parseCommits(`${record.join('\x1f')}\x00`);
    expect(commit).toMatchObject({
      author: { name: 'A', email: 'a@x' },
      committer: { name: 'C', email: 'c@x' },
      subject: 'subject',
      body: 'body\x1fmore',
      parents: [],
      date: 1_700_000_000_000,
    });
  });
});
