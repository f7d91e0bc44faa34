import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../support/process.js';

/**
 * The layering is biome's to enforce (biome.json `overrides`): src/engine imports no adapter, bot,
 * command, compose, config or storage module nor their libraries, and only src/config/load.ts
 * (and main.ts, which hands it the environment) reads process.env. Probes are linted with the
 * real biome.json in a directory of their own, so nothing is written into the working tree.
 */
const root = join(import.meta.dirname, '../..');
const biome = join(root, 'node_modules/.bin/biome');
// Not `--only`: it would run a rule where the config turns it off.
const RULES = ['--max-diagnostics=none'];

const sandbox = mkdtempSync(join(tmpdir(), 'heckler-layering-'));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));
copyFileSync(join(root, 'biome.json'), join(sandbox, 'biome.json'));

const probes: Record<string, string> = {
  // The engine reaching for storage, a Slack library, the logger module and the environment.
  'src/engine/review/probe.ts': [
    "import type { Storage } from '../../storage/keyv.js';",
    "import { webApi } from '@slack/bolt';",
    "import { createLogger } from '../../log.js';",
    'export type Probe = Storage;',
    'export const parts = [webApi, createLogger];',
    'export const home = (): string | undefined => process.env.HOME;',
  ].join('\n'),
  'src/engine/apply/config-probe.ts': [
    "import type { ApplySettings } from '../../config/apply-schema.js';",
    'export type Probe = ApplySettings;',
  ].join('\n'),
  // The engine's own modules and pure libraries are fine, even one named log.js.
  'src/engine/builds/fine.ts': [
    "import type { BuildLogs } from './log.js';",
    "import type { Clock } from '../ports/index.js';",
    "import { z } from 'zod';",
    'export type Fine = [BuildLogs, Clock];',
    'export const schema = z.string();',
  ].join('\n'),
  // Outside the engine the same imports are allowed; the environment is not.
  'src/compose/probe.ts': [
    "import type { Storage } from '../storage/keyv.js';",
    'export type Probe = Storage;',
    'export const home = (): string | undefined => process.env.HOME;',
  ].join('\n'),
  'src/config/load.ts': 'export const home = (): string | undefined => process.env.HOME;',
  'src/main.ts': 'export const home = (): string | undefined => process.env.HOME;',
  // Tests and benches set up processes: they may read it.
  'test/probe.ts': 'export const home = (): string | undefined => process.env.HOME;',
};
for (const [path, text] of Object.entries(probes)) {
  mkdirSync(dirname(join(sandbox, path)), { recursive: true });
  writeFileSync(join(sandbox, path), `${text}\n`);
}

/** `path:line rule` for every diagnostic biome prints. */
const diagnostics = (output: string) =>
  [...output.matchAll(/^(\S+\.ts):(\d+):\d+ lint\/style\/(\w+)/gm)]
    .map((m) => `${m[1]}:${m[2]} ${m[3]}`)
    .sort();

describe('the layering rules in biome.json', { timeout: 60_000 }, () => {
  it('flag the engine importing outer layers or their libraries, and process.env outside config/load.ts', async () => {
    const result = await run(biome, ['lint', ...RULES, '.'], { cwd: sandbox });
    expect(result.code).toBe(1);
    expect(diagnostics(result.stdout + result.stderr)).toEqual([
      'src/compose/probe.ts:3 noProcessEnv',
      'src/engine/apply/config-probe.ts:1 noRestrictedImports',
      'src/engine/review/probe.ts:1 noRestrictedImports',
      'src/engine/review/probe.ts:2 noRestrictedImports',
      'src/engine/review/probe.ts:3 noRestrictedImports',
      'src/engine/review/probe.ts:6 noProcessEnv',
    ]);
    expect(result.stdout + result.stderr).toContain(
      'src/engine reaches the world only through its ports (src/engine/ports)',
    );
  });

  it('hold in the source tree as it is', async () => {
    const result = await run(biome, ['lint', ...RULES, 'src'], { cwd: root });
    expect(diagnostics(result.stdout + result.stderr)).toEqual([]);
  });
});
