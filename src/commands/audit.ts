import { REVISION_PATTERN } from './fleet-args.js';
import { reviewsOf } from './review-args.js';
import type { CommandSpec } from './types.js';

const words = {
  approve: 'approved',
  deny: 'denied',
  auto_approve: 'auto-approved',
  void: 'approval void after re-noop of',
} as const;

export const audit: CommandSpec = {
  name: 'audit',
  summary: 'The decision log: who approved or denied what, and when',
  args: [
    {
      name: 'REV',
      description: 'only this commit',
      pattern: REVISION_PATTERN,
      patternHint: 'a tag, branch or SHA',
    },
  ],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['audit', 'audit 3f9c2e1'],
  async run(ctx, call) {
    const reviews = reviewsOf(ctx.services);
    const sha = call.args.REV ? await reviews.resolve(call.args.REV) : undefined;
    const entries = (await reviews.auditLog(sha)).slice(0, 30);
    const lines = entries.map((e) => {
      const who = e.user === 'heckler' ? 'Heckler' : `<@${e.user}>`;
      return `• ${new Date(e.at).toISOString().slice(0, 16).replace('T', ' ')} ${who} ${words[e.action]} \`${e.shortSha}\`${e.reason ? `: ${e.reason}` : ''} (${e.via}, delta ${e.deltaHash.slice(0, 8)})`;
    });
    const text =
      entries.length === 0 ? 'No decisions recorded.' : `Decisions, newest first:\n${lines.join('\n')}`;
    await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
  },
};
