import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Pipeline, type PipelineParse, parsePipelineFile } from '../../../src/engine/builds/pipeline.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/ocelot/${name}`, import.meta.url), 'utf8');

const valid = (result: PipelineParse): { pipelines: Pipeline[]; warnings: string[] } => {
  if (!result.ok) throw new Error(`expected a valid file:\n${result.errors.join('\n')}`);
  return result;
};

const onlyPipeline = (text: string): Pipeline => {
  const [pipeline, ...rest] = valid(parsePipelineFile(text)).pipelines;
  if (!pipeline || rest.length > 0) throw new Error('expected exactly one pipeline');
  return pipeline;
};

describe('valid files', () => {
  it('reads the Ocelot example unchanged, with warnings for what Heckler ignores', () => {
    const result = valid(parsePipelineFile(fixture('ocelot-example.yml')));
    expect(result.pipelines).toEqual([
      {
        name: 'default',
        image: 'golang:1.10',
        env: { BUILD_DIR: '/.ocelotty' },
        branches: 'ALL',
        workdir: '/build',
        stages: [
          { name: 'install deps', script: ['apt-get update'], env: {} },
          {
            name: 'build',
            script: ['go build ./...'],
            env: { GOOS: 'linux' },
            trigger: { anyOf: [{ allOf: [{ field: 'branch', match: 'any', values: ['master'] }] }] },
          },
          {
            name: 'deploy',
            script: ['./deploy.sh'],
            env: {},
            trigger: {
              anyOf: [
                {
                  allOf: [
                    { field: 'branch', match: 'any', values: ['master', 'develop'] },
                    { field: 'filepath', match: 'any', values: ['deploy'] },
                  ],
                },
                { allOf: [{ field: 'text', match: 'any', values: ['[deploy]'] }] },
              ],
            },
          },
        ],
        notify: { slack: { channel: '#builds', on: ['FAIL'] } },
      },
    ]);
    expect(result.warnings).toEqual([
      'ocelot.yml:22: read the trigger "branch: master||develop and filepath: deploy/" as if quoted; quote it in the file, since YAML reads "a: b and c: d" as nested mappings',
      'buildTool has no meaning in Heckler and is ignored',
      'machineTag has no meaning in Heckler and is ignored',
      'packages has no meaning in Heckler and is ignored',
    ]);
  });

  it('reads an Ocelot Go service file: env list, multi-line values, literal quotes', () => {
    const pipeline = onlyPipeline(fixture('go-service.yml'));
    expect(pipeline.env).toEqual({
      SRC_PATH: '/go/src/example.com/infra/api',
      GOFLAGS: '-mod=vendor',
      MULTILINE: 'first\nsecond',
    });
    expect(pipeline.branches).toBe('ALL');
    expect(pipeline.stages.map((stage) => stage.name)).toEqual([
      'fetch tools',
      'configure git',
      'test',
      'build',
    ]);
    expect(pipeline.stages[2]?.env).toEqual({ CGO_ENABLED: '0', KUBECONFIG: '"~/.kube/config"' });
    expect(pipeline.stages.every((stage) => stage.trigger === undefined)).toBe(true);
  });

  it('anchors branch regexes and turns the old trigger form into a trigger expression', () => {
    const result = valid(parsePipelineFile(fixture('maven-branches.yml')));
    const [pipeline] = result.pipelines;
    expect(pipeline?.branches).toEqual(['^(?:master)$', '^(?:rc_.*)$']);
    expect(pipeline?.stages[1]?.trigger).toEqual({
      anyOf: [{ allOf: [{ field: 'branch', match: 'any', values: ['master', 'rc_.*'] }] }],
    });
    expect(pipeline?.notify).toEqual({ slack: { channel: '#java-builds', on: ['PASS', 'FAIL'] } });
    expect(result.warnings).toEqual([
      'buildTool has no meaning in Heckler and is ignored',
      'notify.slack.identifier has no meaning in Heckler and is ignored',
    ]);
  });

  it('accepts `name :` spacing and trims quoted keys', () => {
    const pipeline = onlyPipeline(fixture('name-spacing.yml'));
    expect(pipeline.stages.map(({ name, script }) => ({ name, script }))).toEqual([
      { name: 'lint', script: ['./lint.sh'] },
      { name: 'test', script: ['./test.sh'] },
    ]);
  });

  it('reads several named pipelines', () => {
    const result = valid(parsePipelineFile(fixture('named-pipelines.yml')));
    expect(result.warnings).toEqual([]);
    expect(result.pipelines).toEqual([
      {
        name: 'api',
        image: 'golang:1.22',
        env: {},
        branches: ['^(?:main)$', '^(?:release/.*)$'],
        workdir: '/src/api',
        timeoutMs: 20 * 60_000,
        stages: [
          { name: 'test', script: ['go test ./...'], env: {} },
          {
            name: 'deploy',
            script: ['./deploy.sh api'],
            env: {},
            timeoutMs: 5 * 60_000,
            trigger: {
              anyOf: [
                {
                  allOf: [
                    { field: 'branch', match: 'any', values: ['main'] },
                    { field: 'filepath', match: 'any', values: ['api'] },
                  ],
                },
              ],
            },
          },
        ],
        notify: {},
      },
      {
        name: 'web',
        image: 'node:20',
        env: { NODE_ENV: 'production' },
        branches: 'ALL',
        workdir: '/build',
        stages: [{ name: 'build', script: ['npm ci', 'npm run build'], env: {} }],
        notify: {},
      },
    ]);
  });

  it('parses timeouts to milliseconds', () => {
    const pipeline = onlyPipeline(fixture('timeouts.yml'));
    expect(pipeline.workdir).toBe('/work');
    expect(pipeline.timeoutMs).toBe(90 * 60_000);
    expect(pipeline.stages.map((stage) => stage.timeoutMs)).toEqual([30_000, 500, 600_000]);
  });

  it.each<[string, string, Partial<Pipeline>]>([
    ['ALL among other branches wins', 'branches: [master, ALL]', { branches: 'ALL' }],
    [
      'null optional keys mean absent',
      'env:\nbranches:\nnotify:\nworkdir:',
      { env: {}, branches: 'ALL', notify: {} },
    ],
    [
      'notify events in any case, FAIL by default',
      'notify: {slack: {on: [pass, Fail]}}',
      { notify: { slack: { on: ['PASS', 'FAIL'] } } },
    ],
    [
      'notify defaults to failures',
      'notify: {slack: {channel: "#x"}}',
      { notify: { slack: { channel: '#x', on: ['FAIL'] } } },
    ],
    ['env values may contain =', 'env: ["OPTS=a=b"]', { env: { OPTS: 'a=b' } }],
    [
      'a __proto__ variable is an ordinary key',
      'env: ["__proto__=x"]',
      { env: JSON.parse('{"__proto__":"x"}') },
    ],
  ])('%s', (_, extra, expected) => {
    const pipeline = onlyPipeline(`image: alpine\n${extra}\nstages:\n  - name: a\n    script: [x]\n`);
    expect(pipeline).toMatchObject(expected);
  });

  it('accepts an unquoted one-section trigger (YAML makes it a mapping)', () => {
    const pipeline = onlyPipeline(
      'image: a\nstages:\n  - name: a\n    script: [x]\n    triggers:\n      - text: go\n',
    );
    expect(pipeline.stages[0]?.trigger).toEqual({
      anyOf: [{ allOf: [{ field: 'text', match: 'any', values: ['go'] }] }],
    });
  });
});

const stages = (yaml: string) => `image: alpine\nstages:\n${yaml}`;
const stage = (name: string, extra = '') => `  - name: ${name}\n    script: [x]\n${extra}`;

describe('invalid files', () => {
  it.each<[string, string, string[]]>([
    [
      'unknown key',
      `image: alpine\nbranchs: [master]\n${stage('a').replace(/^/, 'stages:\n')}`,
      ["branchs: unknown key (did you mean 'branches'?)"],
    ],
    [
      'unknown stage key',
      stages('  - name: a\n    scripts: [x]\n'),
      [
        'stages[0].script: expected a list, found nothing',
        "stages[0].scripts: unknown key (did you mean 'script'?)",
      ],
    ],
    [
      'unknown key in the old trigger',
      stages(stage('a', '    trigger:\n      branch: [master]\n')),
      ["stages[0].trigger.branch: unknown key (did you mean 'branches'?)"],
    ],
    [
      'wrong type',
      stages(`${stage('a')}  - name: b\n    script: [3]\n`),
      ['stages[1].script[0]: expected a string, found a number (3)'],
    ],
    [
      'a command YAML read as a mapping',
      stages('  - name: a\n    script:\n      - echo hi: there\n'),
      [
        'stages[0].script[0]: expected a string, found a mapping (quote commands that contain ": ", or YAML reads them as a mapping)',
      ],
    ],
    [
      'bad env entries',
      `image: alpine\nenv:\n  - BUILD_DIR\n  - 1FOO=bar\n  - FOO: bar\n  - 3\n${stages(stage('a')).replace('image: alpine\n', '')}`,
      [
        'env[0]: expected KEY=value, found a string ("BUILD_DIR") with no "="',
        'env[1]: "1FOO" is not a valid variable name (letters, digits and _, not starting with a digit)',
        'env[2]: expected a "KEY=value" string, found a mapping',
        'env[3]: expected a "KEY=value" string, found a number (3)',
      ],
    ],
    [
      'bad stage env entry',
      stages(stage('a', '    env: ["GO OS=linux"]\n')),
      [
        'stages[0].env[0]: "GO OS" is not a valid variable name (letters, digits and _, not starting with a digit)',
      ],
    ],
    [
      'bad branch regex',
      `image: alpine\nbranches: [master, "rc_["]\n${stages(stage('a')).replace('image: alpine\n', '')}`,
      ['branches[1]: "rc_[" is not a valid regular expression (Unterminated character class)'],
    ],
    [
      'bad regex in the old trigger',
      stages(stage('deploy', '    trigger: {branches: ["(main"]}\n')),
      [
        'stages[0].trigger.branches[0] (stage "deploy"): "(main" is not a valid regular expression (Unterminated group)',
      ],
    ],
    [
      'branch YAML read as a number',
      `image: alpine\nbranches: [1.0]\n${stages(stage('a')).replace('image: alpine\n', '')}`,
      [
        'branches[0]: expected a branch name or regular expression (quote branch names that look like numbers), found a number (1)',
      ],
    ],
    [
      'no branches',
      `image: alpine\nbranches: []\n${stages(stage('a')).replace('image: alpine\n', '')}`,
      ['branches: expected at least 1 item, found an empty list'],
    ],
    [
      'empty stage name',
      stages('  - name: ""\n    script: [x]\n'),
      ['stages[0].name: expected a stage name, found an empty string'],
    ],
    ['missing stage name', stages('  - script: [x]\n'), ['stages[0].name: expected a string, found nothing']],
    [
      'empty script',
      stages('  - name: a\n    script: []\n'),
      ['stages: expected at least one stage with a non-empty script'],
    ],
    [
      'blank command',
      stages('  - name: a\n    script: ["  "]\n'),
      ['stages[0].script[0]: expected a command, found a string ("  ")'],
    ],
    [
      'no stages',
      'image: alpine\nstages: []\n',
      ['stages: expected at least one stage with a non-empty script, found an empty list'],
    ],
    [
      'missing image and stages',
      'env: []\n',
      ['image: expected a string, found nothing', 'stages: expected a list, found nothing'],
    ],
    [
      'machineTag instead of image',
      `machineTag: docker\nstages:\n${stage('a')}`,
      [
        'image: expected a string, found nothing (machineTag has no meaning in Heckler: every build runs in a container of image)',
      ],
    ],
    [
      'image with a space',
      `image: "golang 1.10"\nstages:\n${stage('a')}`,
      ['image: expected a Docker image such as golang:1.10, found a string ("golang 1.10")'],
    ],
    [
      'relative workdir',
      `image: alpine\nworkdir: build\nstages:\n${stage('a')}`,
      ['workdir: expected an absolute path such as /build, found a string ("build")'],
    ],
    [
      'bad durations',
      `image: alpine\ntimeout: 10 minutes\nstages:\n${stage('a', '    timeout: 0s\n')}${stage('b', '    timeout: 600\n')}${stage('c', '    timeout: 48h\n')}`,
      [
        'timeout: expected a duration such as 30s, 10m or 1h, found a string ("10 minutes")',
        'stages[0].timeout: expected a duration longer than zero, found a string ("0s")',
        'stages[1].timeout: expected a duration such as 30s, 10m or 1h, found a number (600)',
        'stages[2].timeout: expected a duration of at most 24h, found a string ("48h")',
      ],
    ],
    [
      'bad trigger syntax names the stage',
      stages(
        stage(
          'deploy',
          '    triggers:\n      - "branch: master filepath: deploy/"\n      - "branchh: master"\n',
        ),
      ),
      [
        'stages[0].triggers[0] (stage "deploy"): expected "and" or "or" before filepath: (|| and && join values inside a section)',
        `stages[0].triggers[1] (stage "deploy"): expected the trigger to start with branch:, text: or filepath:, found "branchh: master" (did you mean 'branch:'?)`,
      ],
    ],
    [
      'a trigger that is a list',
      stages(stage('a', '    triggers:\n      - text: [deploy]\n')),
      [
        'stages[0].triggers[0] (stage "a"): expected a trigger such as "branch: master", found a mapping (quote the whole line: - "text: [deploy]")',
      ],
    ],
    [
      'empty triggers',
      stages(stage('a', '    triggers: []\n')),
      ['stages[0].triggers (stage "a"): expected at least 1 item, found an empty list'],
    ],
    [
      'both trigger forms',
      stages(stage('a', '    trigger: {branches: [master]}\n    triggers: ["branch: master"]\n')),
      [`stages[0] ("a"): has both trigger: (Ocelot's older form) and triggers:; keep one`],
    ],
    [
      'bad notify',
      `${stages(stage('a'))}notify:\n  slack:\n    on: [FIAL]\n    chanel: x\n`,
      [
        'notify.slack.on[0]: expected one of "PASS", "FAIL", "SKIP", found a string ("FIAL")',
        "notify.slack.chanel: unknown key (did you mean 'channel'?)",
      ],
    ],
    [
      'invalid YAML',
      stages('  - name: a\n    script: [x\n'),
      [
        'ocelot.yml:5:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ],
    ],
    [
      'duplicate YAML key',
      `image: a\nimage: b\nstages:\n${stage('a')}`,
      ['ocelot.yml:2:1: not valid YAML: Map keys must be unique'],
    ],
    [
      'keys equal after trimming',
      `image: alpine\n"stages ": [{name: a, script: [x]}]\nstages: [{name: b, script: [y]}]\n`,
      ['stages: the key appears twice'],
    ],
    ['empty file', '', ['ocelot.yml is empty: expected at least image: and stages:']],
    ['comments only', '# nothing yet\n', ['ocelot.yml is empty: expected at least image: and stages:']],
    [
      'a list',
      '- image: alpine\n',
      ['(top level): expected a mapping with keys such as image: and stages:, found a list'],
    ],
    [
      'a scalar',
      'hello',
      ['(top level): expected a mapping with keys such as image: and stages:, found a string ("hello")'],
    ],
    [
      'top-level keys beside pipelines',
      `image: alpine\npipelines:\n  api:\n${stages(stage('a')).replace(/^/gm, '    ')}\n`,
      ['image: cannot sit beside pipelines:; move it into each pipeline that needs it'],
    ],
    [
      'a bad pipeline name and a problem inside it',
      'pipelines:\n  "my pipe":\n    image: x\n    stages: [{name: a, script: [3]}]\n',
      [
        'pipelines.my pipe.stages[0].script[0]: expected a string, found a number (3)',
        'pipelines.my pipe: "my pipe" is not a usable pipeline name (letters, digits, ".", "_" and "-", at most 63)',
      ],
    ],
    [
      'no pipelines',
      'pipelines: {}\n',
      ['pipelines: expected at least one pipeline, found an empty mapping'],
    ],
    [
      'unknown key in a named pipeline',
      'pipelines:\n  api:\n    imag: x\n    image: y\n    stages: [{name: a, script: [x]}]\n',
      ["pipelines.api.imag: unknown key (did you mean 'image'?)"],
    ],
  ])('%s', (_, text, errors) => {
    const result = parsePipelineFile(text);
    expect(result.ok ? [] : result.errors).toEqual(errors);
  });

  it('names the source file in YAML errors', () => {
    expect(parsePipelineFile('a: [', 'infra/api/ocelot.yml')).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^infra\/api\/ocelot\.yml:1:\d+: not valid YAML: /)],
    });
  });

  it('reports every problem of a file at once', () => {
    expect(parsePipelineFile(fixture('invalid/many-problems.yml'))).toEqual({
      ok: false,
      errors: [
        'env[0]: expected KEY=value, found a string ("BUILD_DIR") with no "="',
        'branches[0]: "feature/(x" is not a valid regular expression (Unterminated group)',
        'timeout: expected a duration such as 30s, 10m or 1h, found a string ("10 minutes")',
        'stages[0].script[1]: expected a string, found a number (3)',
        'stages[1].triggers[0] (stage "build"): expected "and" or "or" before filepath: (|| and && join values inside a section)',
        "buildtool: unknown key (did you mean 'buildTool'?)",
      ],
      warnings: ["stages[1].name: 'build' is used twice; refer to it as build#2 in `logs --stage`"],
    });
  });

  it('refuses oversized files and alias bombs', () => {
    const huge = `image: alpine\n# ${'x'.repeat(300 * 1024)}\n`;
    expect(parsePipelineFile(huge)).toEqual({
      ok: false,
      errors: ['ocelot.yml is larger than 256 KiB; is it the right file?'],
      warnings: [],
    });
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      levels.push(
        `${'b'.repeat(i)}: &${'b'.repeat(i)} [${`*${i === 1 ? 'a' : 'b'.repeat(i - 1)}, `.repeat(10).slice(0, -2)}]`,
      );
    const bomb = parsePipelineFile(`${levels.join('\n')}\nimage: alpine\n`);
    expect(bomb.ok).toBe(false);
    expect(bomb.ok ? '' : bomb.errors[0]).toMatch(/^ocelot\.yml: not valid YAML: /);
  });
});

describe('warnings', () => {
  it('runs the duplicate stage names a real Ocelot repository had, with a warning', () => {
    const result = valid(parsePipelineFile(fixture('duplicate-build-stage.yml')));
    expect(result.pipelines[0]?.stages.map((s) => s.name)).toEqual(['build', 'echo', 'build']);
    expect(result.warnings).toEqual([
      'buildTool has no meaning in Heckler and is ignored',
      "stages[2].name: 'build' is used twice; refer to it as build#2 in `logs --stage`",
    ]);
  });

  it.each<[string, string, string[]]>([
    [
      'Ocelot-only keys',
      `image: a\nbuildTool: go\nmachineTag: docker\npackages: [x]\nstages:\n${stage('a')}`,
      [
        'buildTool has no meaning in Heckler and is ignored',
        'machineTag has no meaning in Heckler and is ignored',
        'packages has no meaning in Heckler and is ignored',
      ],
    ],
    [
      'Ocelot-only keys in a named pipeline',
      `pipelines:\n  api:\n    image: a\n    buildTool: go\n    stages: [{name: a, script: [x]}]\n`,
      ['pipelines.api.buildTool has no meaning in Heckler and is ignored'],
    ],
    [
      'ALL beside other branches',
      `image: a\nbranches: [ALL, master]\nstages:\n${stage('a')}`,
      ['branches: ALL already matches every branch, so the other entries change nothing'],
    ],
    [
      'a variable set twice',
      `image: a\nenv: [A=1, B=2, A=3]\nstages:\n${stage('a')}`,
      ['env[2]: A is already set by env[0]; the last value wins'],
    ],
    [
      'a stage that does nothing',
      stages(`${stage('a')}  - name: b\n    script: []\n`),
      ['stages[1] ("b") has an empty script and does nothing'],
    ],
    [
      'an old trigger without branches',
      stages(stage('a', '    trigger: {branches: []}\n')),
      ['stages[0].trigger: lists no branches, so the stage always runs'],
    ],
    [
      'a stage name used twice',
      stages(`${stage('build')}${stage('build')}`),
      ["stages[1].name: 'build' is used twice; refer to it as build#2 in `logs --stage`"],
    ],
    [
      'a stage name used twice after trimming, and a third time',
      stages(`${stage('build')}  - name: " build "\n    script: [y]\n${stage('build')}`),
      [
        "stages[1].name: 'build' is used twice; refer to it as build#2 in `logs --stage`",
        "stages[2].name: 'build' is used 3 times; refer to it as build#3 in `logs --stage`",
      ],
    ],
    [
      'a stage timeout past the build timeout',
      `image: a\ntimeout: 1h\nstages:\n${stage('a', '    timeout: 2h\n')}`,
      ["stages[0].timeout: 2h is longer than the build's timeout (1h), which ends it first"],
    ],
  ])('%s', (_, text, warnings) => {
    expect(valid(parsePipelineFile(text)).warnings).toEqual(warnings);
  });
});
