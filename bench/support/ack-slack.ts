/**
 * The fake Slack Web API of `npm run bench -- ack` in a process of its own, so the answers the bot
 * posts (response_url) do not load the process that times the acks. Prints `{"apiUrl":"…"}`;
 * on a `count` line on stdin prints how many response_url posts it received; stops on SIGTERM.
 */
import { createInterface } from 'node:readline';
import { FakeSlackApi } from '../../test/fakes/slack-api.js';

const fake = await FakeSlackApi.start({ tokens: ['xoxb-test-token'] });
process.stdout.write(`${JSON.stringify({ apiUrl: fake.apiUrl })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'count')
    process.stdout.write(`${JSON.stringify({ responses: fake.responses.length })}\n`);
});
process.once('SIGTERM', () => {
  void fake.stop().then(() => process.exit(0));
});
