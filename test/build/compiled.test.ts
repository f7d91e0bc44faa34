import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureInstalled, run, runOk, waitFor } from '../support/process.js';

const root = join(import.meta.dirname, '../..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'heckler-compiled-'));
/** An installation as README "Running in production" makes one: no src/, no dev dependencies. */
const app = join(work, 'app');
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

/**
 * `npm run build` into the installation, with what the build leaves beside dist/ (package.json,
 * bin/, examples/) and a node_modules holding only the production dependencies (each a link into
 * ours): what `npm prune --omit=dev` would keep. tsx, typescript and vitest are not there.
 */
const install = async () => {
  await runOk('npm', ['run', 'build', '--', join(app, 'dist')], { cwd: root, env, timeoutMs: 600_000 });
  for (const path of ['package.json', 'bin', 'examples'])
    cpSync(join(root, path), join(app, path), { recursive: true });
  const listed = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, env });
  const modules = join(root, 'node_modules');
  const topLevel = listed.stdout
    .split('\n')
    .map((path) => relative(modules, path))
    .filter((name) => name !== '' && !name.startsWith('..') && !name.includes('node_modules'));
  expect(topLevel).toContain('@slack/bolt');
  for (const name of topLevel) {
    mkdirSync(dirname(join(app, 'node_modules', name)), { recursive: true });
    symlinkSync(join(modules, name), join(app, 'node_modules', name));
  }
  return topLevel;
};

let productionModules: string[] = [];

/**
 * The compiled bin in the shell, from an empty directory (so with the demo config it finds beside
 * itself), fed `lines`. Resolves once `ready` is in its output, with its pid; `finish` ends its input.
 */
const startBin = (nodeArgs: string[], lines: string[], ready: string) => {
  const cwd = mkdtempSync(join(work, 'run-'));
  const child = spawn(process.execPath, [...nodeArgs, join(app, 'bin/heckler.js')], {
    cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.stdin.write(`${lines.join('\n')}\n`);
  const answered = waitFor(() => stdout.includes(ready) || (child.exitCode !== null && 'exited'), {
    timeoutMs: 60_000,
    what: `'${ready}' from the compiled bot`,
  });
  const finish = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code] = await exited;
    clearTimeout(timer);
    return { code, stdout, stderr };
  };
  return { pid: child.pid ?? -1, answered, finish, output: () => ({ stdout, stderr }) };
};

describe('the compiled build (npm run build, bin/heckler.js under plain node)', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    productionModules = await install();
  }, 600_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('builds JavaScript and the files loaded by path, and installs without the dev dependencies', () => {
    expect(readFileSync(join(app, 'dist/main.js'), 'utf8')).toContain('import.meta.url');
    // Loaded by path at run time: the scheduler's tick job and the Puppet report processor.
    expect(readFileSync(join(app, 'dist/adapters/schedule/tick-job.mjs'), 'utf8')).toBe(
      readFileSync(join(root, 'src/adapters/schedule/tick-job.mjs'), 'utf8'),
    );
    const processor = 'engine/puppet/assets/heckler_bot_r1/lib/puppet/reports/heckler_bot_r1.rb';
    expect(readFileSync(join(app, 'dist', processor), 'utf8')).toBe(
      readFileSync(join(root, 'src', processor), 'utf8'),
    );
    expect(productionModules).not.toContain('tsx');
    expect(productionModules).not.toContain('typescript');
    expect(productionModules).not.toContain('vitest');
  });

  it('starts with node and nothing else, finds package.json and the demo config beside dist/, and answers help', async () => {
    const bot = startBin([], ['/heckler version', '/heckler help'], '/heckler help COMMAND` shows details');
    expect(await bot.answered, bot.output().stderr).toBe(true);
    // The running process: node and the bin, no loader or flag in its arguments or environment.
    const args = readFileSync(`/proc/${bot.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(args).toEqual([process.execPath, join(app, 'bin/heckler.js')]);
    const environ = readFileSync(`/proc/${bot.pid}/environ`, 'utf8').split('\0');
    expect(environ.filter((line) => line.startsWith('NODE_OPTIONS='))).toEqual([]);

    const { code, stdout, stderr } = await bot.finish();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(
      `(no heckler.yml here: using the demo config ${join(app, 'examples/heckler.yml')};`,
    );
    expect(stdout).toContain('Heckler shell. You are @alice (U0ALICE).');
    expect(stdout).toContain(version);
    const help = stdout.slice(stdout.indexOf('> /heckler help'));
    expect(help).toContain('│ == Heckler commands ==\n');
    expect(help).toContain('│ `/heckler noop REV [--nodes LIST] [--set NAME] [--full]`\n');
    expect(help).toContain('│ `/heckler apply [REV] [--nodes LIST] [--set NAME] [--force]`\n');
  });

  it('loads only compiled JavaScript: no TypeScript file and no tsx, from our sources or anywhere', async () => {
    // A resolve hook (module.register) that writes down every module the bot imports.
    const hooks = join(work, 'hooks');
    const log = join(hooks, 'loaded.txt');
    mkdirSync(hooks, { recursive: true });
    writeFileSync(
      join(hooks, 'record.mjs'),
      [
        "import { appendFileSync } from 'node:fs';",
        'let log;',
        'export const initialize = (data) => { log = data.log; };',
        'export const resolve = async (specifier, context, next) => {',
        '  const resolved = await next(specifier, context);',
        "  appendFileSync(log, resolved.url + '\\n');",
        '  return resolved;',
        '};',
      ].join('\n'),
    );
    writeFileSync(
      join(hooks, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(hooks, 'record.mjs')).href)}, { data: { log: ${JSON.stringify(log)} } });\n`,
    );
    writeFileSync(log, '');
    const bot = startBin(
      ['--import', pathToFileURL(join(hooks, 'register.mjs')).href],
      ['/heckler whoami'],
      'User id: U0ALICE',
    );
    expect(await bot.answered, bot.output().stderr).toBe(true);
    const { code } = await bot.finish();
    expect(code).toBe(0);

    const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const files = loaded.filter((url) => url.startsWith('file:'));
    expect(files).toContain(pathToFileURL(join(app, 'dist/main.js')).href);
    expect(files).toContain(pathToFileURL(join(app, 'dist/bot/shell/session.js')).href);
    expect(files.filter((url) => /\.[cm]?ts$/.test(url))).toEqual([]);
    expect(files.filter((url) => /\/(tsx|typescript|esbuild|vitest)\//.test(url))).toEqual([]);
    expect(files.filter((url) => url.startsWith(pathToFileURL(join(root, 'src')).href))).toEqual([]);
  });

  it('noops the demo on real Puppet: the report processor and the grouping worker load from beside their compiled modules', async () => {
    ensureInstalled([
      { command: 'git', pkg: 'git' },
      { command: 'puppet', pkg: 'puppet' },
    ]);
    const bot = startBin([], ['/heckler noop v2', '/heckler whoami'], 'User id: U0ALICE');
    expect(await bot.answered, bot.output().stderr).toBe(true);
    const { code, stdout, stderr } = await bot.finish();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const review = stdout.slice(stdout.indexOf('> /heckler noop v2'), stdout.indexOf('> /heckler whoami'));
    expect(review).toContain('│ 3 nodes would change · 0 unchanged · 0 failed · 0 unreachable\n');
    expect(review).toContain('│ -workers = 1\n│ +workers = 4\n');
  });

  it('refuses to start without a build, saying how to make one', async () => {
    const bare = join(work, 'unbuilt');
    cpSync(join(root, 'bin'), join(bare, 'bin'), { recursive: true });
    const { code, stdout, stderr } = await run(process.execPath, [join(bare, 'bin/heckler.js')], { env });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `heckler: ${join(bare, 'dist/main.js')} is missing: run \`npm run build\` in the checkout first\n`,
    );
  });
});
