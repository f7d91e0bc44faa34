import { escapeText } from '../engine/text/mrkdwn.js';
import type { CommandSpec } from './types.js';

export const version: CommandSpec = {
  name: 'version',
  summary: 'Show the running Heckler version and how it is wired',
  args: [],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['version'],
  async run(ctx) {
    const { config, version: heckler } = ctx.services;
    // Field values are mrkdwn: a data directory path is shown as the characters it has.
    const store = config.secrets.redisUrl ? 'redis' : `embedded (${escapeText(config.storage.dataDir)})`;
    const fields = [
      { label: 'Heckler', value: heckler },
      { label: 'Node.js', value: process.version },
      { label: 'Chat', value: config.mode },
      { label: 'Store', value: store },
    ];
    await ctx.respond({
      text: fields.map((f) => `${f.label}: ${f.value}`).join(', '),
      blocks: [{ kind: 'fields', fields }],
    });
  },
};
