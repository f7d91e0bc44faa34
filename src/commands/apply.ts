import type { ApplyService } from '../engine/apply/service.js';
import { HecklerError } from '../engine/errors.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import { fleetOf, nodesFlag, revisionArg, selectorOf, setFlag } from './fleet-args.js';
import { createForms } from './forms.js';
import type { ArgSpec, CommandContext, CommandSpec, Services } from './types.js';
import { hosts } from './views/apply-text.js';

/** The apply half, or the same configuration hint as every Puppet command. */
export const appliesOf = (services: Services): ApplyService => {
  fleetOf(services);
  if (!services.applies) throw new Error('applies are not wired although the fleet is');
  return services.applies;
};

/** `confirm 4`, `cancel #4`: the number in "Apply plan #4". */
export const applyIdArg: ArgSpec = {
  name: 'ID',
  description: 'the apply number, as in "Apply plan #4"',
  required: true,
  pattern: /^#?\d{1,9}$/,
  patternHint: 'an apply number such as 4',
};

export const applyId = (text: string | undefined) => Number((text ?? '').replace(/^#/, ''));

/** `apply` alone: the form where the surface has one, else what to type and what there is to apply. */
const askForRevision = async (ctx: CommandContext): Promise<void> => {
  if (ctx.openForm) return ctx.openForm('apply');
  const choices = await createForms(ctx.services).revisions('');
  const offered = choices.map((choice) => `\`${escapeText(choice.value)}\``).join(', ');
  throw new HecklerError('USAGE', 'missing REV: which revision to apply', {
    hint: `type \`/heckler apply REV\`${offered ? `, REV one of ${offered} or a SHA` : ''}`,
  });
};

export const apply: CommandSpec = {
  name: 'apply',
  summary: 'Plan an apply of a revision; Confirm locks the nodes and rolls it out set by set',
  description:
    'Answers with a plan in the apply channel: per node what it runs now and the commits the apply brings, nodes ' +
    'already at or beyond REV skipped, and every commit not approved for the fleet as it is (a blocked plan has no ' +
    'Confirm). Any approved revision applies directly: intermediate tags need not be applied first. A REV that does ' +
    'not descend from what a node runs would roll changes back and is refused; admins may pass --force. Confirm ' +
    "locks the nodes and applies them in `fleet.applyOrder` (canaries first), editing the plan's message as it goes. " +
    'Without REV, Slack opens the apply form (a revision picker and the node sets; so does the "Apply a revision" ' +
    'shortcut) and the terminal asks for both.',
  // Without REV, surfaces that can (a Slack modal, the shell's prompts) ask for it in a form.
  args: [{ ...revisionArg, required: false }],
  flags: [
    nodesFlag,
    setFlag,
    { name: 'force', description: 'roll back nodes that are beyond or beside REV', role: 'admin' },
  ],
  role: 'applier',
  sideEffects: true,
  examples: [
    'apply v2.1',
    'apply v2.1 --set canaries',
    'apply 3f9c2e1 --nodes web1,web2',
    'apply v2.0 --force',
  ],
  /** What the apply form shows before it closes: a revision that resolves, a set that exists. */
  async check(ctx, call) {
    appliesOf(ctx.services);
    const set = call.flags.set;
    if (typeof set === 'string' && !new Set(createForms(ctx.services).sets()).has(set))
      throw new HecklerError('NOT_FOUND', `no node set named ${escapeText(set)}`, {
        hint: `sets: ${escapeText(createForms(ctx.services).sets().join(', '))}`,
      });
    if (call.args.REV) await ctx.services.reviews?.resolve(call.args.REV);
  },
  async run(ctx, call) {
    const applies = appliesOf(ctx.services);
    if (call.args.REV === undefined) return askForRevision(ctx);
    const revision = call.args.REV;
    const planning = `planning an apply of ${escapeText(revision)}: reading what each node runs`;
    await ctx.respond({ text: planning, blocks: [{ kind: 'context', text: planning }] });
    const planned = await applies.plan({
      revision,
      selector: selectorOf(call),
      force: call.flags.force === true,
      user: ctx.user,
    });
    if ('nothing' in planned) {
      // `detail` is mrkdwn already (SkippedNode).
      const lines = planned.skipped.map((skip) => `• *${escapeText(skip.node)}* ${skip.detail}`);
      const text = `Nothing to apply: no node needs ${escapeText(revision)} (${planned.sha.slice(0, 7)}).\n${lines.join('\n')}`;
      await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
      return;
    }
    if (planned.channel !== ctx.channel) {
      // Plain words: the renderer lets no `<#C…>` token through (only mentions and links).
      const where = `plan #${planned.id} (${hosts(planned.nodes.map((n) => n.node))}) is in the apply channel, ${escapeText(planned.channel)}`;
      await ctx.respond({ text: where, blocks: [{ kind: 'context', text: where }] });
    }
  },
};
