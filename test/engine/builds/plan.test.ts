import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  branchAllowed,
  isSkipCi,
  type Pipeline,
  parsePipelineFile,
  pipelineInvalid,
  stagesFor,
  type TriggerContext,
} from '../../../src/engine/builds/pipeline.js';
import { isHecklerError } from '../../../src/engine/errors.js';

const load = (name: string): Pipeline => {
  const result = parsePipelineFile(
    readFileSync(new URL(`../../fixtures/ocelot/${name}`, import.meta.url), 'utf8'),
  );
  if (!result.ok || !result.pipelines[0]) throw new Error(`fixture ${name} is invalid`);
  return result.pipelines[0];
};

describe('branchAllowed', () => {
  const all = load('ocelot-example.yml');
  const listed = load('maven-branches.yml');

  it.each<[Pipeline, string, boolean]>([
    [all, 'anything/at-all', true],
    [listed, 'master', true],
    [listed, 'rc_2.1', true],
    [listed, 'rc_', true],
    [listed, 'master2', false],
    [listed, 'old/master', false],
    [listed, 'xrc_2.1', false],
  ])('%#: %s', (pipeline, branch, expected) => {
    expect(branchAllowed(pipeline, branch)).toBe(expected);
  });
});

describe('isSkipCi', () => {
  it.each<[string, boolean]>([
    ['fix readme [skip ci]', true],
    ['[ci skip] bump version', true],
    ['Docs only [SKIP CI]', true],
    ['[Ci Skip]', true],
    ['body line\n\n[skip  ci]', true],
    ['skip ci', false],
    ['[skip-ci]', false],
    ['[skip tests]', false],
    ['', false],
  ])('%j → %s', (message, expected) => {
    expect(isSkipCi(message)).toBe(expected);
  });
});

describe('stagesFor', () => {
  const pipeline = load('ocelot-example.yml');
  const commit = (branch: string, message: string, changedFiles: string[] = []): TriggerContext => ({
    branch,
    message,
    changedFiles,
  });
  const plan = (context: TriggerContext) =>
    stagesFor(pipeline, context).map(({ stage, run, reason }) => ({ stage: stage.name, run, reason }));
  const deployTrigger = 'branch: master||develop and filepath: deploy or text: [deploy]';

  it('runs untriggered stages and skips the rest with the reason', () => {
    expect(plan(commit('feature/x', 'wip', ['src/main.go']))).toEqual([
      { stage: 'install deps', run: true, reason: undefined },
      { stage: 'build', run: false, reason: 'trigger not met: branch: master' },
      { stage: 'deploy', run: false, reason: `trigger not met: ${deployTrigger}` },
    ]);
  });

  it('says which alternative triggered a stage', () => {
    expect(plan(commit('develop', 'ship', ['deploy/helm/values.yaml']))).toEqual([
      { stage: 'install deps', run: true, reason: undefined },
      { stage: 'build', run: false, reason: 'trigger not met: branch: master' },
      { stage: 'deploy', run: true, reason: 'trigger met: branch: master||develop and filepath: deploy' },
    ]);
    expect(plan(commit('master', 'hotfix [deploy]'))).toEqual([
      { stage: 'install deps', run: true, reason: undefined },
      { stage: 'build', run: true, reason: 'trigger met: branch: master' },
      { stage: 'deploy', run: true, reason: 'trigger met: text: [deploy]' },
    ]);
  });

  it('keeps every stage in order, so skipped ones are recorded', () => {
    expect(stagesFor(pipeline, commit('x', 'y')).map((entry) => entry.stage)).toEqual(pipeline.stages);
  });
});

describe('pipelineInvalid', () => {
  it('is a PIPELINE_INVALID error listing the problems', () => {
    const error = pipelineInvalid('infra/api:ocelot.yml', ['image: expected a string, found nothing']);
    expect(isHecklerError(error, 'PIPELINE_INVALID')).toBe(true);
    expect(error.message).toBe(
      'infra/api:ocelot.yml is invalid (1 problem):\n  - image: expected a string, found nothing',
    );
    expect(error.hint).toMatch(/validate/);
  });
});
