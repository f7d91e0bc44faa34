import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../support/process.js';

const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'heckler-first-command-'));
/** Every program on our PATH but Puppet, and nothing that could install anything for real. */
const machine = join(work, 'machine-bin');
const withheld = new Set(['puppet', 'apt-get', 'apt', 'dpkg', 'sudo']);

const notice =
  'puppet is not installed on this machine: `sudo apt-get install puppet` (Debian/Ubuntu) or install openvox; ' +
  'the Puppet commands will fail until then\nHeckler shell.';
const installing =
  'the demo runs Puppet on this machine and it is not installed: installing it (apt-get install puppet)...\n';

interface Machine {
  /** Put first on PATH: the fake `id` and `apt-get`, and the `puppet` the latter "installs". */
  bin: string;
  /** One line per apt-get call: `DEBIAN_FRONTEND=… ARGS`. */
  calls: () => string[];
}

/**
 * A machine without Puppet, as `uid` sees it. `apt-get` records its arguments; `install` puts a
 * stand-in `puppet` beside it (or fails like apt does for an unknown package, with `aptFails`).
 * With `apt: false` there is no apt-get at all, as on a system that is not Debian's.
 */
const fakeMachine = (uid: number, { apt = true, aptFails = false } = {}): Machine => {
  const bin = mkdtempSync(join(work, `uid${uid}-`));
  const log = join(bin, 'apt-get.calls');
  const script = (name: string, lines: string[]) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${lines.join('\n')}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  script('id', [`if [ "$1" = -u ]; then echo ${uid}; else exec /usr/bin/id "$@"; fi`]);
  if (apt)
    script('apt-get', [
      `printf '%s\\n' "DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-} $*" >> ${log}`,
      'case " $* " in *" install "*)',
      aptFails
        ? '  echo "E: Unable to locate package puppet" >&2; exit 100 ;;'
        : `  printf '#!/bin/sh\\necho 7.23.0\\n' > ${bin}/puppet && chmod +x ${bin}/puppet ;;`,
      'esac',
    ]);
  return {
    bin,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  };
};

/** `./heckler ARGS` from a fresh directory on `fake`, with no input: it starts, greets and ends. */
const firstCommand = async (
  fake: Machine,
  args: string[] = [],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
) => {
  const cwd = options.cwd ?? mkdtempSync(join(work, 'cwd-'));
  const result = await run(join(root, 'heckler'), args, {
    cwd,
    input: '',
    env: { PATH: [fake.bin, machine].join(delimiter), HOME: process.env.HOME ?? '', ...options.env },
    timeoutMs: 120_000,
  });
  expect(result.timedOut).toBe(false);
  return result;
};

describe('the first command on a machine without Puppet (./heckler with the demo config)', {
  timeout: 180_000,
}, () => {
  beforeAll(() => {
    mkdirSync(machine);
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        const link = join(machine, name);
        if (!withheld.has(name) && !existsSync(link)) symlinkSync(join(dir, name), link);
      }
    }
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('as root: installs Puppet with apt-get as the test command does, saying so, and only once', async () => {
    const fake = fakeMachine(0);
    const first = await firstCommand(fake);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe(`${installing}puppet installed.\n`);
    expect(fake.calls()).toEqual([
      'DEBIAN_FRONTEND= update -qq',
      'DEBIAN_FRONTEND=noninteractive install -y -qq puppet',
    ]);
    // The bot starts with Puppet there: no notice.
    expect(first.stdout).toContain('(demo: Puppet repository');
    expect(first.stdout).toContain('Heckler shell.');
    expect(first.stdout).not.toContain('is not installed');

    const again = await firstCommand(fake);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
    expect(fake.calls()).toHaveLength(2);
  });

  it('not as root: installs nothing, and the bot says the one command to run', async () => {
    const fake = fakeMachine(1000);
    const { code, stdout, stderr } = await firstCommand(fake);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(fake.calls()).toEqual([]);
    expect(stdout).toContain(`\n${notice}`);
  });

  it('as root when apt-get fails: says so, and the demo starts with the same notice', async () => {
    const fake = fakeMachine(0, { aptFails: true });
    const { code, stdout, stderr } = await firstCommand(fake);
    expect(code).toBe(0);
    expect(stderr).toBe(
      `${installing}E: Unable to locate package puppet\ncould not install puppet with apt-get (see above); the demo starts without it.\n`,
    );
    expect(fake.calls()).toEqual([
      'DEBIAN_FRONTEND= update -qq',
      'DEBIAN_FRONTEND=noninteractive install -y -qq puppet',
    ]);
    expect(stdout).toContain(`\n${notice}`);
  });

  it('as root without apt-get (not Debian): tries nothing, and the bot says what to install', async () => {
    const fake = fakeMachine(0, { apt: false });
    const { code, stdout, stderr } = await firstCommand(fake);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain(`\n${notice}`);
  });

  it('installs nothing for a config of your own: --config, --config=, HECKLER_CONFIG or ./heckler.yml', async () => {
    const fake = fakeMachine(0);
    const missing = join(work, 'no-such.yml');
    const cwd = mkdtempSync(join(work, 'own-'));
    writeFileSync(join(cwd, 'heckler.yml'), 'rolse: {}\n');
    // Four separate starts, each from its own directory: they run side by side.
    const [named, inline, fromEnv, own] = await Promise.all([
      firstCommand(fake, ['--config', missing]),
      firstCommand(fake, [`--config=${missing}`]),
      firstCommand(fake, [], { env: { HECKLER_CONFIG: missing } }),
      firstCommand(fake, [], { cwd }),
    ]);
    for (const { code, stderr } of [named, inline, fromEnv]) {
      expect(code).toBe(2);
      expect(stderr).toContain(`heckler: cannot read config ${missing}: no such file\n`);
    }
    expect(own.code).toBe(2);
    expect(own.stderr).toContain("rolse: unknown key (did you mean 'roles'?)");
    expect(own.stderr).not.toContain('installing');
    expect(fake.calls()).toEqual([]);
  });
});
