import type { AuditEntry } from '../engine/review/records.js';
import { escapeText, mention } from '../engine/text/mrkdwn.js';
import { REVISION_PATTERN } from './fleet-args.js';
import { resourceText, when } from './ignore-view.js';
import { reviewsOf } from './review-args.js';
import type { CommandSpec } from './types.js';

const words = {
  approve: 'approved',
  deny: 'denied',
  auto_approve: 'auto-approved',
  void: 'approval void after re-noop of',
  apply_forced: 'forced an apply past blockers of',
  ignore: 'ignored',
  unignore: 'removed the ignore of',
} as const;

/** What an entry is about: a commit, or an ignored resource (id, where, until when). */
const subject = (e: AuditEntry): string => {
  if (!e.ignore) return `\`${e.shortSha ?? '?'}\``;
  const scope = e.ignore.nodes ? ` on ${escapeText(e.ignore.set ?? e.ignore.nodes.join(', '))}` : '';
  return `${resourceText(e.ignore)}${scope} (ignore \`${e.ignore.id}\`, until ${when(e.ignore.expiresAt)})`;
};

export const audit: CommandSpec = {
  name: 'audit',
  summary: 'The decision log: who approved, denied or ignored what, and when',
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
      const who = e.user === 'heckler' ? 'Heckler' : mention(e.user);
      const from =
        e.surface === 'terminal' ? `, from the terminal as OS user ${escapeText(e.osUser ?? '?')}` : '';
      return `• ${new Date(e.at).toISOString().slice(0, 16).replace('T', ' ')} ${who} ${words[e.action]} ${subject(e)}${e.reason ? `: ${escapeText(e.reason)}` : ''} (${e.via}${from}${e.deltaHash ? `, delta ${e.deltaHash.slice(0, 8)}` : ''})`;
    });
    const text =
      entries.length === 0 ? 'No decisions recorded.' : `Decisions, newest first:\n${lines.join('\n')}`;
    await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
  },
};
