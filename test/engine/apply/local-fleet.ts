import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitRunOutput } from '../../../src/engine/puppet/index.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../../support/puppet-repo.js';

/**
 * Nodes on the `local` transport (each its own work directory on this machine) with a stand-in
 * `puppet` that replays a real noop's output at once: tests of the apply machinery (progress,
 * cancel, shutdown, restarts) that do not need Puppet itself, and can hold or slow one node.
 */

const FIXTURE = new URL('../../fixtures/puppet/reduced/', import.meta.url);
/** The canned run; its certname is replaced by each node's. */
const CANNED = 'noop-v2-node1';

/**
 * Ignores what it is asked except `--certname` and `--no-noop`. In an apply it leaves
 * `started-CERT`, sleeps `sleep` (every node) and `sleep-CERT` seconds, waits while `hold-CERT`
 * exists, and leaves `done-CERT`: files a test writes and reads in the stand-in's directory.
 */
const STAND_IN = `#!/bin/sh
# Stand-in for puppet (test/engine/apply/local-fleet.ts): replays a real noop's output and reduced
# report at once; an apply can be slowed or held per node through files in $STANDIN.
cert=; mode=noop
while [ $# -gt 0 ]; do
  case "$1" in
    --certname) cert=$2; shift ;;
    --no-noop) mode=apply ;;
  esac
  shift
done
if [ "$mode" = apply ]; then
  touch "$STANDIN/started-$cert"
  if [ -f "$STANDIN/sleep" ]; then sleep "$(cat "$STANDIN/sleep")"; fi
  if [ -f "$STANDIN/sleep-$cert" ]; then sleep "$(cat "$STANDIN/sleep-$cert")"; fi
  while [ -f "$STANDIN/hold-$cert" ]; do sleep 0.05; done
  touch "$STANDIN/done-$cert"
fi
cat "$STANDIN/stdout"
sed "s/$CANNED_CERT/$cert/g" "$STANDIN/report.json" >"$HECKLER_REPORT_OUT"
`;

export interface LocalFleet {
  dir: string;
  repo: PuppetRepoFixture;
  names: string[];
  /** The `repo`, `puppet` and `fleet` config sections for testConfig. */
  config: Record<string, unknown>;
  /** The stand-in's directory (sleep, hold-CERT, started-CERT, done-CERT files). */
  standIn: string;
  hold(node: string): void;
  release(node: string): void;
  started(node: string): boolean;
  finished(node: string): boolean;
  /** Forgets which nodes started and finished an apply. */
  reset(): void;
  /** Seconds every apply (or one node's) sleeps; undefined removes it. */
  sleep(seconds: number | undefined, node?: string): void;
  remove(): void;
}

export const createLocalFleet = async (options: {
  nodes: number;
  sets?: Record<string, unknown>;
  applyOrder?: string[];
  dir?: string;
}): Promise<LocalFleet> => {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'heckler-local-fleet-'));
  const repo = await createPuppetRepo(join(dir, 'repo'));
  const standIn = join(dir, 'standin');
  mkdirSync(standIn, { recursive: true });
  const captured = JSON.parse(readFileSync(new URL(`${CANNED}.run.json`, FIXTURE), 'utf8')) as {
    stdout: string;
    nonce: string;
    certname: string;
  };
  writeFileSync(join(standIn, 'stdout'), splitRunOutput(captured.stdout, captured.nonce).stdout);
  writeFileSync(
    join(standIn, 'report.json'),
    readFileSync(new URL(`${CANNED}.json`, FIXTURE), 'utf8').trim(),
  );
  const command = join(dir, 'bin', 'puppet');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(command, STAND_IN);
  chmodSync(command, 0o755);
  const width = String(options.nodes).length;
  const names = Array.from(
    { length: options.nodes },
    (_, i) => `n${String(i + 1).padStart(Math.max(2, width), '0')}`,
  );
  const file = (name: string) => join(standIn, name);
  return {
    dir,
    repo,
    names,
    standIn,
    config: {
      repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, 'mirror') },
      puppet: { command, env: { STANDIN: standIn, CANNED_CERT: captured.certname } },
      fleet: {
        transport: 'local',
        nodes: Object.fromEntries(names.map((name) => [name, { workDir: join(dir, 'nodes', name) }])),
        sets: options.sets ?? {},
        applyOrder: options.applyOrder ?? ['all'],
      },
    },
    hold: (node) => writeFileSync(file(`hold-${node}`), ''),
    release: (node) => rmSync(file(`hold-${node}`), { force: true }),
    started: (node) => existsSync(file(`started-${node}`)),
    reset() {
      for (const name of readdirSync(standIn))
        if (/^(started|done)-/.test(name)) rmSync(join(standIn, name), { force: true });
    },
    finished: (node) => existsSync(file(`done-${node}`)),
    sleep(seconds, node) {
      const path = file(node ? `sleep-${node}` : 'sleep');
      if (seconds === undefined) rmSync(path, { force: true });
      else writeFileSync(path, String(seconds));
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};
