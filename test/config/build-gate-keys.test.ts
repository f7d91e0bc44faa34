import { describe, expect, it } from 'vitest';
import { configFiles } from '../support/config-files.js';

/** The build gate's keys: repo.build, apply.requireBuild, approvals.requireBuild. */
const { load, failure } = configFiles('build-gate-keys');
const repo = (build = '') => `repo:\n  url: /srv/puppet.git\n${build}`;

describe('the build gate keys', () => {
  it('are off unless set', () => {
    const config = load(repo());
    expect(config.repo?.build).toBe(false);
    expect(config.apply.requireBuild).toBe(false);
    expect(config.approvals.requireBuild).toBe(false);
  });

  it.each([
    ['every pipeline', '  build: true\n', true],
    ['one pipeline by name', '  build: lint-and-spec\n', 'lint-and-spec'],
  ])('repo.build builds %s, and then both gates may be set', (_name, build, value) => {
    const config = load(`${repo(build)}apply:\n  requireBuild: true\napprovals:\n  requireBuild: true\n`);
    expect(config.repo?.build).toBe(value);
    expect(config.apply.requireBuild).toBe(true);
    expect(config.approvals.requireBuild).toBe(true);
  });

  it.each([
    ['apply.requireBuild', 'apply:\n  requireBuild: true\n'],
    ['approvals.requireBuild', 'approvals:\n  requireBuild: true\n'],
  ])('%s without repo.build is refused, naming the key and what to set', (key, yaml) => {
    const message = failure(`${repo()}${yaml}`).message;
    expect(message).toContain(`${key}: needs repo.build: true (or a pipeline name)`);
    // Without a repository at all, too: nothing would ever be built.
    expect(failure(yaml).message).toContain(`${key}: needs repo.build`);
  });

  it('refuses a pipeline name that could not be one', () => {
    expect(failure(repo('  build: "lint; rm -rf /"\n')).message).toMatch(/repo\.build: /);
  });
});
