import { HecklerError } from '../engine/errors.js';
import type { DigestService } from '../engine/permadiffs/digest-service.js';
import { escapeText, mention } from '../engine/text/mrkdwn.js';
import { permadiffsOf } from './permadiffs.js';
import type { CommandSpec, Services } from './types.js';

const digestOf = (services: Services): DigestService => {
  const { digest } = permadiffsOf(services);
  if (digest) return digest;
  throw new HecklerError('CONFIG_INVALID', 'this bot composes no permadiff digest', {
    hint: 'the digest comes with `repo.url` and `fleet.nodes` in heckler.yml; `/heckler permadiffs` reads the state meanwhile',
  });
};

export const digest: CommandSpec = {
  name: 'digest',
  summary: 'Post the permadiff digest now (admins); --preview shows it only to you',
  description:
    'The digest the schedule posts (`permadiffs.digest`): totals, new and resolved since the last digest, the biggest ' +
    'groups with hosts, owners, file:line and a short diff, ignored groups collapsed, nodes that could not be scanned, ' +
    'stale node locks and commits waiting for approval for more than a day. Posting it counts as the last digest ' +
    '(the next one says what changed since) and, with `permadiffs.notifyOwners`, sends owners their groups privately. ' +
    'It reads stored state: run `/heckler scan` first for a fresh look at the nodes.',
  args: [],
  flags: [
    {
      name: 'preview',
      description:
        'answer only to you; posts nothing, sends no owner messages, is not remembered as the last digest',
    },
  ],
  role: 'admin',
  sideEffects: true,
  examples: ['digest', 'digest --preview'],
  async run(ctx, call) {
    const service = digestOf(ctx.services);
    if (call.flags.preview === true) {
      const { presented } = await service.preview();
      await ctx.respond(presented.message);
      if (presented.file) {
        const note = `Preview only: the full file (${presented.file.content.length} characters) is attached when the digest is posted.`;
        await ctx.respond({ text: note, blocks: [{ kind: 'context', text: note }] });
      }
      return;
    }
    const outcome = await service.post(ctx.user);
    const owners =
      outcome.sentTo.length === 0 ? '' : ` Owners told privately: ${outcome.sentTo.map(mention).join(', ')}.`;
    const where = outcome.ref ? ` in ${escapeText(outcome.ref.channel)}` : '';
    const text = `Permadiff digest posted${where}: ${outcome.digest.standing.length} standing, ${outcome.digest.changed ? 'changes since the last digest' : 'nothing changed since the last digest'}.${owners}`;
    await ctx.respond({ text, blocks: [{ kind: 'context', text }] });
  },
};
