import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { DEMO_NODES, demoDefaults, fillMissing, PLAIN_ABSOLUTE_PATH } from '../demo/config.js';
import { HecklerError } from '../engine/errors.js';
import { describeFound, keyPath, typeName } from '../engine/text/describe-value.js';
import { didYouMean } from '../engine/text/suggest.js';
import { demoSchema } from './demo-schema.js';
import { withDockerEnv } from './docker-env.js';
import { withWebhookPolling } from './github-schema.js';
import { type Config, type ConfigFile, configFileSchema, type Secrets } from './schema.js';

export interface LoadOptions {
  /** Command-line arguments after the script name. */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Used when neither --config nor HECKLER_CONFIG names a file. */
  defaultPath: string;
}

/** Keys people reach for that must be environment variables instead. */
const secretKeys: Record<string, string> = {
  token: 'SLACK_BOT_TOKEN',
  botToken: 'SLACK_BOT_TOKEN',
  signingSecret: 'SLACK_SIGNING_SECRET',
  appToken: 'SLACK_APP_TOKEN',
  redisUrl: 'REDIS_URL',
  githubToken: 'GITHUB_TOKEN',
  webhookSecret: 'GITHUB_WEBHOOK_SECRET',
};

/** The only place that reads process.env and the config file. Throws CONFIG_INVALID listing every problem. */
export const loadConfig = ({ argv, env, defaultPath }: LoadOptions): Config => {
  const path = resolve(flagValue(argv, '--config') ?? env.HECKLER_CONFIG ?? defaultPath);
  const demoProblems: string[] = [];
  const raw = withWebhookPolling(
    withDockerEnv(withDemo(readConfigFile(path), demoProblems), env, demoProblems),
    env.GITHUB_WEBHOOK_SECRET,
  );
  const parsed = configFileSchema.safeParse(raw, { reportInput: true });
  const fileProblems = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap(describeIssue)),
    ...demoProblems,
  ];
  const problems = [...fileProblems];
  const secrets = readSecrets(env);
  const wantsShell = argv.includes('--shell');
  const mode = secrets.slackBotToken && !wantsShell ? 'slack' : 'shell';
  if (mode === 'slack' && !secrets.slackSigningSecret && !secrets.slackAppToken) {
    problems.push(
      'SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is: set one, or unset SLACK_BOT_TOKEN to use the shell',
    );
  }
  if (secrets.slackAppToken && !secrets.slackAppToken.startsWith('xapp-')) {
    problems.push(
      'SLACK_APP_TOKEN: expected an app-level token starting with xapp-, found another kind of value',
    );
  }
  if (secrets.redisUrl && !/^rediss?:\/\//.test(secrets.redisUrl)) {
    problems.push('REDIS_URL: expected a redis:// or rediss:// URL, found another kind of value');
  }
  const registry = parsed.success ? readRegistrySecrets(parsed.data, env, problems) : undefined;
  const buildEnv = parsed.success ? readBuildSecretEnv(parsed.data, env, problems) : undefined;
  // The file is fine and one variable is not: that one line, without blaming the file.
  if (parsed.success && fileProblems.length === 0 && problems.length === 1) {
    throw new HecklerError('CONFIG_INVALID', problems[0] ?? '');
  }
  if (!parsed.success || problems.length > 0) {
    throw configError(path, problems);
  }
  if (registry) secrets.registry = registry;
  if (buildEnv) secrets.buildEnv = buildEnv;
  const file = parsed.data;
  const logLevel = env.LOG_LEVEL ? configFileSchema.shape.log.parse({ level: env.LOG_LEVEL }) : file.log;
  // Who the terminal is gets decided where the OS user is known (src/bot/shell/identity.ts).
  const actAs = flagValue(argv, '--as');
  const childEnv = Object.fromEntries(
    ['PATH', 'HOME', 'SSH_AUTH_SOCK', 'LANG'].flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
  );
  const demo = file.demo ? { demo: { dir: resolve(file.demo.dir) } } : {};
  return {
    ...file,
    ...demo,
    ...(actAs === undefined ? {} : { actAs }),
    log: logLevel,
    path,
    secrets,
    mode,
    childEnv,
  };
};

/**
 * A valid `demo:` section stands for the config keys the file leaves out (src/demo/config.ts): a
 * repository, three local nodes, their Puppet directories and the demo authors' approvals.
 */
const withDemo = (raw: unknown, problems: string[]): unknown => {
  if (!isRecord(raw) || raw.demo === undefined) return raw;
  const section = demoSchema.safeParse(raw.demo);
  // An invalid section is reported by the schema, with the rest of the file.
  if (!section.success) return raw;
  const dir = resolve(section.data.dir);
  if (!PLAIN_ABSOLUTE_PATH.test(dir)) {
    problems.push(
      `demo.dir: expected a directory whose absolute path has only letters, digits, '.', '_', '-' and '/' ` +
        `(the demo nodes' workDirs are under it), found ${JSON.stringify(dir)}`,
    );
    return raw;
  }
  const nodes = isRecord(raw.fleet) && isRecord(raw.fleet.nodes) ? raw.fleet.nodes : {};
  for (const name of DEMO_NODES) {
    const node = nodes[name];
    if (isRecord(node) && node.transport !== undefined && node.transport !== 'local') {
      problems.push(
        `fleet.nodes.${name}: the demo runs ${name} on this machine, found transport ${JSON.stringify(node.transport)}: ` +
          `remove the transport, or rename the node`,
      );
    }
  }
  return fillMissing(raw, demoDefaults(dir, isRecord(raw.users) ? raw.users : {}));
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const flagValue = (argv: readonly string[], flag: string): string | undefined => {
  const index = argv.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
  if (index < 0) return undefined;
  const arg = argv[index] ?? '';
  return arg.includes('=') ? arg.slice(flag.length + 1) : argv[index + 1];
};

const readSecrets = (env: NodeJS.ProcessEnv): Secrets => {
  const pick = (name: string) => (env[name] ? { [name]: env[name] } : {});
  const all = {
    ...pick('SLACK_BOT_TOKEN'),
    ...pick('SLACK_SIGNING_SECRET'),
    ...pick('SLACK_APP_TOKEN'),
    ...pick('REDIS_URL'),
    ...pick('GITHUB_TOKEN'),
    ...pick('GITHUB_WEBHOOK_SECRET'),
  };
  return {
    slackBotToken: all.SLACK_BOT_TOKEN,
    slackSigningSecret: all.SLACK_SIGNING_SECRET,
    slackAppToken: all.SLACK_APP_TOKEN,
    redisUrl: all.REDIS_URL,
    githubToken: all.GITHUB_TOKEN,
    githubWebhookSecret: all.GITHUB_WEBHOOK_SECRET,
  };
};

/** `builds.repos[].secretEnv`: each named variable must be set; its value goes to that repo's builds. */
const readBuildSecretEnv = (
  file: ConfigFile,
  env: NodeJS.ProcessEnv,
  problems: string[],
): Secrets['buildEnv'] => {
  const found: NonNullable<Secrets['buildEnv']> = {};
  for (const [index, repo] of file.builds.repos.entries()) {
    for (const name of repo.secretEnv ?? []) {
      const value = env[name];
      if (value) found[repo.name] = { ...found[repo.name], [name]: value };
      else problems.push(`builds.repos[${index}].secretEnv: ${name} is not set in the environment`);
    }
  }
  return Object.keys(found).length > 0 ? found : undefined;
};

/** Registry passwords named by `builds.registries[].passwordEnv`; a missing variable is a problem. */
const readRegistrySecrets = (
  file: ConfigFile,
  env: NodeJS.ProcessEnv,
  problems: string[],
): Secrets['registry'] => {
  const found: NonNullable<Secrets['registry']> = {};
  for (const [index, { host, username, passwordEnv }] of file.builds.registries.entries()) {
    const password = env[passwordEnv];
    if (password) {
      found[host] = { username, password };
    } else {
      problems.push(`builds.registries[${index}].passwordEnv: ${passwordEnv} is not set in the environment`);
    }
  }
  return Object.keys(found).length > 0 ? found : undefined;
};

/** Every secret value, for the logger to mask (registry passwords included). */
export const secretValues = (secrets: Secrets): string[] => {
  const { registry, buildEnv, ...plain } = secrets;
  const values = Object.values(plain).filter((value): value is string => typeof value === 'string');
  return [
    ...values,
    ...Object.values(registry ?? {}).map((entry) => entry.password),
    ...Object.values(buildEnv ?? {}).flatMap((vars) => Object.values(vars)),
  ];
};

const readConfigFile = (path: string): unknown => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const why = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(cause);
    throw new HecklerError('CONFIG_INVALID', `cannot read config ${path}: ${why}`, {
      hint: 'pass --config PATH or set HECKLER_CONFIG; examples/heckler.yml is a working start',
      cause,
    });
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw configError(
      path,
      document.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}`),
    );
  }
  return document.toJS() ?? {};
};

const configError = (path: string, problems: string[]): HecklerError => {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new HecklerError(
    'CONFIG_INVALID',
    `${path} is invalid (${count}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    {
      hint: 'fix the keys named above; the configuration reference is in README.md',
    },
  );
};

const knownKeysAt = (path: readonly PropertyKey[]): string[] => {
  let schema: z.ZodType = configFileSchema;
  for (const part of path) {
    const def = (schema as unknown as { def: { innerType?: z.ZodType; shape?: Record<string, z.ZodType> } })
      .def;
    const inner = def.innerType ?? schema;
    const shape = (inner as unknown as { shape?: Record<string, z.ZodType> }).shape;
    const next = shape?.[String(part)];
    if (!next) return [];
    schema = next;
  }
  const def = (schema as unknown as { def: { innerType?: z.ZodType } }).def;
  const shape = ((def.innerType ?? schema) as unknown as { shape?: Record<string, z.ZodType> }).shape;
  return shape ? Object.keys(shape) : [];
};

const describeIssue = (issue: z.core.$ZodIssue): string[] => {
  const at = keyPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const full = keyPath([...issue.path, key]);
        const secretEnv = secretKeys[key];
        if (secretEnv)
          return `${full}: secrets do not belong in heckler.yml; set the environment variable ${secretEnv}`;
        return `${full}: unknown key${didYouMean(key, knownKeysAt(issue.path))}`;
      });
    case 'invalid_type':
      return [`${at}: expected ${typeName(issue.expected)}, found ${describeFound(issue.input)}`];
    case 'invalid_value':
      return [
        `${at}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${describeFound(issue.input)}`,
      ];
    case 'too_small':
    case 'too_big': {
      const unit = issue.origin === 'string' ? 'characters' : 'items';
      const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      const what =
        issue.origin === 'number'
          ? `a number ${bound.replace('at least', '>=').replace('at most', '<=')}`
          : `${bound} ${unit}`;
      return [`${at}: expected ${what}, found ${describeFound(issue.input)}`];
    }
    case 'invalid_key': {
      // A bad mapping key (`shell.users: { "Bad Name": U1 }`): say what a key must be.
      const wanted = issue.issues.map((inner) => inner.message).join('; ');
      return [`${at}: expected a key that is ${wanted}, found ${describeFound(issue.input)}`];
    }
    case 'invalid_format':
      return [
        `${at}: expected ${issue.message.replace(/^Invalid string: /, '')}, found ${describeFound(issue.input)}`,
      ];
    default:
      return [`${at}: ${issue.message}, found ${describeFound(issue.input)}`];
  }
};
