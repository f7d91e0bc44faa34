import { describe, it } from 'vitest';
import { authorize } from '../../../src/commands/authorize.js';
import { describeError } from '../../../src/commands/describe-error.js';
import { createRegistry } from '../../../src/commands/index.js';
import { lock } from '../../../src/commands/lock.js';
import { parseCommand } from '../../../src/commands/parse.js';
import type { ApplyPlan } from '../../../src/engine/apply/plan.js';
import { rollbackRefusal } from '../../../src/engine/apply/plan-record.js';
import { missingPipeline } from '../../../src/engine/builds/commits.js';
import { pipelineInvalid } from '../../../src/engine/builds/pipeline.js';
import { notWatched } from '../../../src/engine/builds/watch.js';
import { unknownName, unknownNodes } from '../../../src/engine/fleet/node-names.js';
import type { Message } from '../../../src/engine/ports/index.js';
import { ambiguousRevision, unknownRevision, validateRevision } from '../../../src/engine/repo/revision.js';
import { testConfig } from '../../support/config.js';
import { captureLogger } from '../../support/logger.js';
import { expectHarmless } from './hostile-check.js';
import { commit, H } from './hostile-records.js';

/**
 * HecklerError messages and hints are shown as mrkdwn (describeError): what they quote from git,
 * nodes, ocelot.yml or the command line is escaped where they are made.
 */

const errorOf = (run: () => unknown): Message => {
  try {
    run();
  } catch (error) {
    return describeError(error, captureLogger().logger);
  }
  throw new Error('expected a refusal');
};

const plan = { nodes: [], rollbacks: [{ node: H, from: 'b'.repeat(40), takesAway: ['c'.repeat(40)] }] };
const target = { branch: H, sha: 'a'.repeat(40), commit };

/** What validateRevision quotes of a text is its first 40 characters. */
const quoted = ['<!channel>', '<!here>'];

const errors: [string, () => Message, (readonly string[])?][] = [
  [
    'unknown revision',
    () =>
      errorOf(() => {
        throw unknownRevision(H, { candidates: [H], latestTags: [H] });
      }),
    quoted,
  ],
  ['not a revision', () => errorOf(() => validateRevision(H)), quoted],
  [
    'ambiguous revision',
    () =>
      errorOf(() => {
        throw ambiguousRevision(H, [H]);
      }),
    quoted,
  ],
  [
    'unknown node',
    () =>
      errorOf(() => {
        throw unknownName('node', H, [H]);
      }),
  ],
  [
    'unknown nodes of a set',
    () =>
      errorOf(() => {
        throw unknownNodes([H, H], [H], `set '${H}'`);
      }),
  ],
  [
    'rollback refused',
    () =>
      errorOf(() => {
        throw rollbackRefusal(H, plan as unknown as ApplyPlan, new Map([['b'.repeat(40), [H]]]));
      }),
  ],
  [
    'pipeline invalid',
    () =>
      errorOf(() => {
        throw pipelineInvalid(H, [H]);
      }),
  ],
  [
    'pipeline missing',
    () =>
      errorOf(() => {
        throw missingPipeline(H, target);
      }),
  ],
  [
    'not watched',
    () =>
      errorOf(() => {
        throw notWatched(H, [H]);
      }),
  ],
  [
    'unknown command',
    () =>
      errorOf(() => {
        const parsed = parseCommand('<!channel>', createRegistry());
        if (parsed.kind === 'error') throw parsed.error;
      }),
    ['<!channel>'],
  ],
  [
    'bad flag value',
    () =>
      errorOf(() => {
        const parsed = parseCommand(`lock web1 why --for '${H}'`, createRegistry());
        if (parsed.kind === 'error') throw parsed.error;
      }),
    quoted,
  ],
  [
    'not authorized, naming the admins',
    () =>
      errorOf(() =>
        authorize(
          lock,
          { name: 'lock', args: {}, flags: {} },
          new Set(),
          testConfig({ roles: { admins: ['U0ALICE'] } }),
        ),
      ),
    [],
  ],
];

describe('error messages quote hostile text as text', () => {
  it.each(errors)('%s', (_, build, visible) => expectHarmless(build(), visible));
});
