import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { HecklerError } from '../../src/engine/errors.js';

const example = join(import.meta.dirname, '../../examples/heckler.yml');

/**
 * heckler.yml texts loaded through the real loader, each from its own file in a directory removed
 * after the test file: `load` returns the config, `failure` the HecklerError it must refuse with.
 */
export const configFiles = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `heckler-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const load = (yaml: string): Config => {
    files += 1;
    const path = join(dir, `c${files}.yml`);
    writeFileSync(path, yaml);
    return loadConfig({ argv: ['--config', path], env: {}, defaultPath: example });
  };
  const failure = (yaml: string): HecklerError => {
    try {
      load(yaml);
    } catch (error) {
      if (error instanceof HecklerError) return error;
      throw error;
    }
    throw new Error('expected loadConfig to fail');
  };
  return { load, failure };
};
