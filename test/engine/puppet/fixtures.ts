import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecResult } from '../../../src/engine/ports/transport.js';

/** Real captures from test/engine/puppet/capture.ts. */
export const REDUCED_DIR = fileURLToPath(new URL('../../fixtures/puppet/reduced/', import.meta.url));

export interface CapturedRun {
  name: string;
  description: string;
  node: string;
  certname: string;
  checkout: string;
  mode: 'noop' | 'apply';
  nonce: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export const loadRun = (name: string): CapturedRun =>
  JSON.parse(readFileSync(join(REDUCED_DIR, `${name}.run.json`), 'utf8')) as CapturedRun;

/** What the transport's `exec` would have returned for the captured run. */
export const execResultOf = (run: CapturedRun): ExecResult => ({
  node: run.node,
  status: run.exitCode === 0 ? 'ok' : 'failed',
  exitCode: run.exitCode,
  stdout: run.stdout,
  stderr: run.stderr,
  durationMs: 1_000,
});

export const loadReduced = (name: string): Buffer => readFileSync(join(REDUCED_DIR, `${name}.json`));

export const contextOf = (run: CapturedRun) => ({ node: run.node, checkout: run.checkout });
