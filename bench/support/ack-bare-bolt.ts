/**
 * The baseline of `npm run bench -- ack`: a bare Bolt 5 app, in a process of its own, whose only
 * listener acks `/heckler`. Bolt's own HTTPReceiver, no store, no answer. Prints `{"port":N}` once
 * listening; stops on SIGTERM. Run with `node --import tsx`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { TEST_SIGNING_SECRET } from '../../test/support/slack-signing.js';

const receiver = new HTTPReceiver({ signingSecret: TEST_SIGNING_SECRET, logLevel: LogLevel.ERROR });
const app = new App({
  receiver,
  token: 'xoxb-bench-token',
  // Known up front, so Bolt never calls auth.test (nothing answers it here).
  botId: 'B0BENCH',
  botUserId: 'U0BENCH',
  tokenVerificationEnabled: false,
  logLevel: LogLevel.ERROR,
});
app.command(/^\/heckler/, async ({ ack }) => {
  await ack();
});
const server = (await receiver.start(0)) as Server;
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
process.once('SIGTERM', () => {
  void receiver.stop().then(() => process.exit(0));
});
