import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../support/process.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../support/puppet-repo.js';

describe('createPuppetRepo', { timeout: 20_000 }, () => {
  let scratch: string;
  let repo: PuppetRepoFixture;
  const git = async (...args: string[]) => {
    const result = await run('git', ['-C', repo.path, ...args]);
    return { ...result, out: result.stdout.trim() };
  };

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'heckler-repo-'));
    repo = await createPuppetRepo(join(scratch, 'one'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is reproducible: the same SHAs every time', async () => {
    const again = await createPuppetRepo(join(scratch, 'two'));
    expect(again.commits).toEqual(repo.commits);
    expect(again.branches).toEqual(repo.branches);
    expect(Object.values(repo.commits).every((sha) => /^[0-9a-f]{40}$/.test(sha))).toBe(true);
    expect(new Set(Object.values(repo.commits)).size).toBe(Object.keys(repo.commits).length);
  });

  it('has the history the tests rely on', async () => {
    const { commits } = repo;
    expect((await git('rev-parse', 'HEAD')).out).toBe(commits.fixed);
    expect((await git('status', '--porcelain')).out).toBe('');
    expect((await git('rev-list', '--parents', '-n1', commits.merge)).out).toBe(
      `${commits.merge} ${commits.motdChange} ${commits.feature}`,
    );
    expect((await git('rev-list', '--first-parent', '--reverse', 'main')).out.split('\n')).toEqual([
      commits.initial,
      commits.motdChange,
      commits.merge,
      commits.coauthored,
      commits.owners,
      commits.broken,
      commits.fixed,
    ]);
    expect((await git('rev-parse', `${commits.brokenNode3}^`)).out).toBe(commits.fixed);
    expect((await git('rev-parse', `${commits.hotfix}^`)).out).toBe(commits.motdChange);
    expect((await git('merge-base', '--is-ancestor', commits.hotfix, 'main')).code).toBe(1);
    for (const [name, sha] of Object.entries(repo.branches))
      expect((await git('rev-parse', name)).out).toBe(sha);
  });

  it('has annotated v1 and v1.1 and a lightweight v2', async () => {
    for (const [name, tag] of Object.entries(repo.tags)) {
      expect((await git('cat-file', '-t', name)).out).toBe(tag.annotated ? 'tag' : 'commit');
      expect((await git('rev-parse', `${name}^{commit}`)).out).toBe(tag.commit);
    }
    expect(repo.tags.v2.annotated).toBe(false);
  });

  it('has distinct authors and a Co-authored-by trailer', async () => {
    const authors = (await git('log', '--all', '--format=%an <%ae>')).out.split('\n');
    expect(new Set(authors).size).toBe(5);
    const trailer = await git(
      'log',
      '-1',
      '--format=%(trailers:key=Co-authored-by,valueonly)',
      repo.commits.coauthored,
    );
    expect(trailer.out).toBe('Dave <dave@example.com>');
  });

  it('changes CODEOWNERS along the way', async () => {
    const owners = async (rev: string) => (await git('show', `${rev}:CODEOWNERS`)).out;
    expect(await owners(repo.commits.initial)).toContain('modules/webapp/ @bob\n');
    expect(await owners(repo.commits.owners)).toContain('modules/webapp/ @bob @erin\n');
    expect(await owners(repo.commits.owners)).toMatch(/^modules\/motd\/ @alice$/m);
    expect(await owners(repo.commits.owners)).toMatch(/^\/manifests\/ @carol$/m);
  });
});
