import { HecklerError } from '../engine/errors.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import type { CommandSpec } from './types.js';

export const doctor: CommandSpec = {
  name: 'doctor',
  summary: 'Check the store, the mirror, every node, Docker hosts, Slack and GitHub, one line each',
  description:
    'Runs the same checks as `heckler doctor` on the bot host: the config, the store, the Puppet mirror, ' +
    'every node (ssh, host key, git, timeout, Puppet version, free space in its work dir), Docker hosts ' +
    'when builds are configured, Slack auth.test and the GitHub token. Each failed line says what to do.',
  args: [],
  flags: [],
  role: 'admin',
  sideEffects: false,
  // Every node answers an ssh connection and a Puppet start.
  expensive: true,
  examples: ['doctor'],
  async run(ctx) {
    const checker = ctx.services.doctor;
    if (!checker)
      throw new HecklerError('NOT_FOUND', 'doctor is not available in this bot', {
        hint: 'run `heckler doctor` on the bot host',
      });
    const { results, report, failed } = await checker.run();
    const failing = results.filter((r) => !r.ok).length;
    const summary = failed
      ? `:x: doctor: ${failing} of ${results.length} checks failed`
      : `:white_check_mark: doctor: all ${results.length} checks passed`;
    // The report is literal text in a code block (each renderer escapes it for its surface).
    await ctx.respond({
      text: `${summary}\n${escapeText(report)}`,
      blocks: [
        { kind: 'section', text: summary },
        { kind: 'code', text: report },
      ],
    });
  },
};
