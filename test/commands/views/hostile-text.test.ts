import { describe, expect, it } from 'vitest';
import { locks } from '../../../src/commands/locks.js';
import type { CommandContext } from '../../../src/commands/types.js';
import { planMessage } from '../../../src/commands/views/apply-plan.js';
import { applyViews, progressMessage } from '../../../src/commands/views/apply-progress.js';
import { buildListMessage } from '../../../src/commands/views/build-list.js';
import { buildViews } from '../../../src/commands/views/build-progress.js';
import { validationMessage } from '../../../src/commands/views/build-validate.js';
import { nodesMessage } from '../../../src/commands/views/nodes.js';
import { revisionRunMessage } from '../../../src/commands/views/noop-full.js';
import { reportBlocks, resourceBlocks } from '../../../src/commands/views/puppet-report.js';
import { reviewMessage } from '../../../src/commands/views/review.js';
import { statusMessage } from '../../../src/commands/views/status.js';
import { interruptLeftover } from '../../../src/engine/apply/reconcile.js';
import { runRollout } from '../../../src/engine/apply/rollout.js';
import type { Block, Message, NodeSpec } from '../../../src/engine/ports/index.js';
import type { NodeRun } from '../../../src/engine/runs/puppet-on-node.js';
import { escapeText } from '../../../src/engine/text/mrkdwn.js';
import { expectHarmless } from './hostile-check.js';
import {
  applyRecord,
  blockers,
  buildRecord,
  clock,
  commit,
  H,
  heldLock,
  nodeSpec,
  report,
  resource,
  reviewRecord,
  runningRecord,
} from './hostile-records.js';

/**
 * Every view, fed records whose every string field is hostile (see hostile-records.ts), rendered
 * for Slack and for the terminal. The apply plan and the review are rewritten elsewhere: their
 * cases fail until those views escape what they quote.
 */

/** Fallback text is mrkdwn too: escaped like the blocks. */
const asMessage = (blocks: Block[]): Message => ({ text: escapeText(H), blocks });

/** An apply a stopped bot left behind: the engine words its note (node names, lock holders). */
const interrupted = applyRecord({
  status: 'running',
  confirmedBy: 'U0BOB',
  confirmedAt: clock.now() - 60_000,
  stages: runningRecord().stages,
});
interruptLeftover(interrupted, [{ ...heldLock, owner: 'heckler:apply#7', node: H }], clock.now());
const target = { branch: H, sha: 'a'.repeat(40), commit };

const views: [string, () => Message, (readonly string[])?][] = [
  ['apply plan', () => planMessage(applyRecord(), clock.now())],
  ['apply plan, blocked', () => planMessage(applyRecord({ blockers }), clock.now())],
  [
    'apply plan, expired',
    () => planMessage(applyRecord({ status: 'expired', note: escapeText(H) }), clock.now()),
  ],
  [
    'apply plan, dropped',
    () => planMessage(applyRecord({ status: 'cancelled', cancelledBy: H }), clock.now()),
  ],
  ['apply progress, running', () => progressMessage(runningRecord(), clock.now())],
  ['apply progress, failed', () => progressMessage(runningRecord({ status: 'failed' }), clock.now())],
  ['apply progress, interrupted', () => applyViews.status(interrupted, clock.now())],
  [
    'apply event, locked',
    () => applyViews.event(runningRecord(), { kind: 'locked', skipped: applyRecord().skipped }),
  ],
  [
    'apply event, failure',
    () => {
      const record = runningRecord();
      const stage = record.stages[0]!;
      return applyViews.event(record, { kind: 'failure', stage, result: stage.nodes[1]! });
    },
  ],
  [
    'apply event, stage',
    () => applyViews.event(runningRecord(), { kind: 'stage', stage: runningRecord().stages[0]! }),
  ],
  ['apply event, interrupted', () => applyViews.event(runningRecord(), { kind: 'interrupted' })],
  ['apply summary', () => applyViews.summary(runningRecord({ status: 'failed' }))],
  [
    'fleet status',
    () =>
      statusMessage(
        {
          nodes: [
            { node: H, unreadable: H },
            {
              node: H,
              applied: {
                revision: 'a'.repeat(40),
                appliedAt: 0,
                outcome: 'failed',
                dirty: true,
                by: H,
                names: [H],
              },
              lock: heldLock,
              lastNoop: { at: 0, sha: H, outcome: H },
            },
          ],
        },
        clock,
      ),
  ],
  [
    'build list',
    () => buildListMessage([buildRecord(), buildRecord({ trigger: { kind: 'command', by: 'U0ALICE' } })], H),
  ],
  ['build list, empty', () => buildListMessage([], H)],
  ['build message', () => buildViews.build(buildRecord())],
  ['build message, could not run', () => buildViews.build(buildRecord({ status: 'error', stages: [] }))],
  ['build stage', () => buildViews.stage(buildRecord(), buildRecord().stages[0]!, H)],
  [
    'build notice, failed stage',
    () => buildViews.notice(buildRecord(), { stage: buildRecord().stages[0]!, tail: H }),
  ],
  ['build notice, error', () => buildViews.notice(buildRecord({ status: 'error' }))],
  ['invalid push', () => buildViews.invalidPush(H, H, [H])],
  [
    'validation, valid',
    () =>
      validationMessage({
        repo: H,
        target,
        parse: { ok: true, pipelines: [buildRecord().definition], warnings: [H] },
      }),
  ],
  [
    'validation, invalid',
    () => validationMessage({ repo: H, target, parse: { ok: false, errors: [H], warnings: [H] } }),
  ],
  [
    'nodes',
    () =>
      nodesMessage({
        title: 'Fleet: 1 node',
        nodes: [nodeSpec],
        sets: [{ name: H, definition: H, members: [H] }],
        applyOrder: [H],
        checks: new Map([
          [
            H,
            { node: H, status: 'unreachable', exitCode: null, stdout: H, stderr: H, durationMs: 1, error: H },
          ],
        ]),
      }),
  ],
  [
    'noop --full',
    () =>
      revisionRunMessage(
        {
          revision: H,
          commit,
          mode: 'noop',
          durationMs: 1000,
          runs: [
            { node: H, sha: H, reached: false, unreachable: true, error: H, durationMs: 1 },
            {
              node: `${H}-2`,
              sha: H,
              reached: true,
              report,
              sync: { sha: H, sentBytes: 0, repaired: [H] },
              durationMs: 1,
            },
            {
              node: `${H}-3`,
              sha: H,
              reached: true,
              report: { ...report, outcome: 'unchanged', resources: [], evalErrors: [] },
              sync: { sha: H, sentBytes: 0, repaired: [] },
              durationMs: 1,
            },
          ],
        },
        'U0ALICE',
      ),
  ],
  ['puppet report', () => asMessage(reportBlocks(report, 'apply'))],
  ['puppet resource', () => asMessage(resourceBlocks(resource()))],
  ['review, pending', () => reviewMessage(reviewRecord(), { admins: ['U0ALICE'], approvers: ['U0CAROL'] })],
  ['review, approved', () => reviewMessage(reviewRecord('approve'))],
  ['review, denied', () => reviewMessage(reviewRecord('deny'))],
];

describe('chat text from git and nodes cannot impersonate the bot', () => {
  it.each(views)('%s', (_, build, visible) => expectHarmless(build(), visible));

  it('apply progress after a rollout on hostile nodes: the engine words their errors as mrkdwn', async () => {
    const names = ['a', 'b', 'c', 'd'].map((n) => `${H}-${n}`);
    const record = runningRecord({
      cancelledBy: undefined,
      note: undefined,
      stages: [
        { name: H, status: 'pending', nodes: names.map((node) => ({ node, status: 'pending' as const })) },
      ],
    });
    // The last node left the inventory: skipped in the engine's own words.
    const specs = new Map(names.slice(0, 3).map((name) => [name, { ...nodeSpec, name }]));
    const runOne = async (sha: string, spec: NodeSpec): Promise<NodeRun> => {
      if (spec.name === names[0])
        return { node: spec.name, sha, reached: false, unreachable: true, error: H, durationMs: 1 };
      if (spec.name === names[1])
        return {
          node: spec.name,
          sha,
          reached: true,
          report,
          sync: { sha, sentBytes: 0, repaired: [] },
          durationMs: 1,
        };
      throw new Error(H);
    };
    await runRollout(record, {
      fleet: { runOne },
      specs,
      clock,
      concurrencyOf: () => 1,
      failureThreshold: 10,
      stopReason: () => undefined,
      lockLost: () => undefined,
      changed: () => {},
      nodeFailed: () => {},
      stageEnded: () => {},
    });
    const statuses = record.stages[0]?.nodes.map((result) => result.status);
    expect(statuses).toEqual(['failed', 'failed', 'failed', 'skipped']);
    expectHarmless(progressMessage(record, clock.now()));
    expectHarmless(applyViews.summary(record));
  });

  it('/heckler locks', async () => {
    const answers: Message[] = [];
    const ctx = {
      services: { clock, nodeLocks: { list: async () => [heldLock] } },
      // An admin: the forced-unlock button's confirm quotes the node and holder too.
      user: 'U0ADMIN',
      roles: new Set(['admin']),
      respond: async (message: Message) => void answers.push(message),
    } as unknown as CommandContext;
    await locks.run(ctx, { name: 'locks', args: {}, flags: {} });
    expect(answers).toHaveLength(1);
    expectHarmless(answers[0]!);
  });
});
