import { describe, expect, it } from 'vitest';
import { readWebhookEvent } from '../../../src/adapters/github/webhook-events.js';

const SHA = 'a'.repeat(40);
const pr = (over: Record<string, unknown> = {}, head: Record<string, unknown> = {}) => ({
  action: 'opened',
  number: 12,
  pull_request: {
    number: 12,
    user: { login: 'octocat' },
    head: { sha: SHA, ref: 'feature/x', repo: { full_name: 'acme/api' } },
    base: { ref: 'main', repo: { full_name: 'acme/api' } },
    ...head,
  },
  repository: { full_name: 'acme/api' },
  ...over,
});

describe('reading webhook payloads', () => {
  it.each<[string, string, unknown, unknown]>([
    ['a ping', 'ping', { zen: 'Design for failure.', hook_id: 1 }, { kind: 'ping' }],
    [
      'a push',
      'push',
      { ref: 'refs/heads/main', after: SHA, deleted: false, repository: { full_name: 'acme/api' } },
      { kind: 'push', repo: 'acme/api', ref: 'refs/heads/main', after: SHA, deleted: false },
    ],
    [
      'a branch deletion',
      'push',
      { ref: 'refs/heads/x', after: '0'.repeat(40), deleted: true, repository: { full_name: 'a/b' } },
      { kind: 'push', repo: 'a/b', ref: 'refs/heads/x', after: '0'.repeat(40), deleted: true },
    ],
    [
      'a pull request from a branch of the repository',
      'pull_request',
      pr(),
      {
        kind: 'pull_request',
        pr: {
          repo: 'acme/api',
          number: 12,
          headSha: SHA,
          headRef: 'feature/x',
          baseRef: 'main',
          author: 'octocat',
          fork: false,
        },
      },
    ],
    [
      'a closed pull request',
      'pull_request',
      pr({ action: 'closed' }),
      { kind: 'ignored', why: 'pull request closed' },
    ],
    ['an issue comment', 'issue_comment', {}, { kind: 'ignored', why: 'issue_comment events are not used' }],
    ['an array body', 'push', [], { kind: 'invalid', why: 'the body is not a JSON object' }],
  ])('%s', (_what, event, body, expected) => {
    expect(readWebhookEvent(event, body)).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>]>([
    ['from a fork', { head: { sha: SHA, ref: 'main', repo: { full_name: 'mallory/api' } } }],
    ['from a deleted fork (head.repo null)', { head: { sha: SHA, ref: 'main', repo: null } }],
  ])('a pull request %s is a fork', (_what, head) => {
    const read = readWebhookEvent('pull_request', pr({ action: 'synchronize' }, head));
    expect(read).toMatchObject({ kind: 'pull_request', pr: { fork: true, headRef: 'main' } });
  });

  it('takes the same repository in another letter case as the same', () => {
    const head = { head: { sha: SHA, ref: 'x', repo: { full_name: 'ACME/API' } } };
    expect(readWebhookEvent('pull_request', pr({}, head))).toMatchObject({ pr: { fork: false } });
  });

  it.each<[string, unknown]>([
    ['a push without after', { ref: 'refs/heads/main', repository: { full_name: 'a/b' } }],
    ['a push with a short sha', { ref: 'refs/heads/main', after: 'abc', repository: { full_name: 'a/b' } }],
    ['a repository name with a slash too many', { ref: 'r', after: SHA, repository: { full_name: 'a/b/c' } }],
    ['a ref with a space', { ref: 'refs/heads/a b', after: SHA, repository: { full_name: 'a/b' } }],
    ['a ref with a newline', { ref: 'refs/heads/a\nb', after: SHA, repository: { full_name: 'a/b' } }],
    [
      'a ref of 300 bytes',
      { ref: `refs/heads/${'x'.repeat(300)}`, after: SHA, repository: { full_name: 'a/b' } },
    ],
  ])('refuses %s', (_what, body) => {
    expect(readWebhookEvent('push', body)).toMatchObject({ kind: 'invalid' });
  });

  it.each<[string, unknown]>([
    ['a login with markup', pr({}, { user: { login: '<!channel>' } })],
    ['a head sha that is not one', pr({}, { head: { sha: 'HEAD', ref: 'x', repo: null } })],
    ['a head ref starting a git option', pr({}, { head: { sha: SHA, ref: '--upload-pack=x', repo: null } })],
    ['a number that is a string', pr({ number: '12' })],
    ['number zero', pr({ number: 0 })],
  ])('refuses a pull request with %s', (_what, body) => {
    expect(readWebhookEvent('pull_request', body)).toMatchObject({ kind: 'invalid' });
  });
});
