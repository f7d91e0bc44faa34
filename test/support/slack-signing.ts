import { createHmac, randomBytes } from 'node:crypto';

export const TEST_SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
/** Slack still sends the deprecated verification token in every body; Bolt ignores it. */
const VERIFICATION_TOKEN = 'gIkuvaNzQIHg97ATvDxqgjtO';
const TEAM = { id: 'T0TEST', domain: 'heckler-test' };
const APP_ID = 'A0TEST';

/** A request body exactly as Slack sends it, with its content type. */
export interface SlackBody {
  raw: string;
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export const triggerId = (): string =>
  `${nowSeconds()}.${randomBytes(5).readUInt32BE(0)}.${randomBytes(16).toString('hex')}`;

/** `v0=` + HMAC-SHA256 over `v0:<timestamp>:<raw body>`, keyed with the signing secret. */
export const slackSignature = (secret: string, timestamp: number | string, raw: string): string =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${raw}`).digest('hex')}`;

export interface SlashCommand {
  user: string;
  text: string;
  responseUrl: string;
  channel?: string;
  command?: string;
  triggerId?: string;
}

/** A slash command as Slack posts it: form-encoded fields in Slack's order. */
export const slashCommandBody = (cmd: SlashCommand): SlackBody => {
  const fields = new URLSearchParams({
    token: VERIFICATION_TOKEN,
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: cmd.channel ?? 'C0OPS',
    channel_name: 'ops',
    user_id: cmd.user,
    user_name: cmd.user.toLowerCase(),
    command: cmd.command ?? '/heckler',
    text: cmd.text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: cmd.responseUrl,
    trigger_id: cmd.triggerId ?? triggerId(),
  });
  return { raw: fields.toString(), contentType: 'application/x-www-form-urlencoded' };
};

export interface ButtonClick {
  user: string;
  /** The clicked element as it was rendered (action_id, value, text). */
  button: { action_id: string; value?: string; text?: unknown };
  /** Where the button is: a channel message (default), an ephemeral message, or the Home tab. */
  where?: 'message' | 'ephemeral' | 'home';
  /** Slack sends none for clicks in the Home tab. */
  responseUrl?: string;
  channel?: string;
  messageTs?: string;
  /** Blocks of the message or view the button is on (Slack echoes them back). */
  blocks?: unknown[];
  triggerId?: string;
  actionTs?: string;
}

/** The part of a block_actions payload that says where the click happened, in Slack's shapes. */
const clickContainer = (click: ButtonClick) => {
  const channel = click.channel ?? 'C0OPS';
  const ts = click.messageTs ?? '1700000000.000100';
  const blocks = click.blocks ?? [];
  if (click.where === 'home') {
    const view = { id: 'V0HOME', team_id: TEAM.id, type: 'home', blocks, app_id: APP_ID, bot_id: 'B0BOT' };
    return { container: { type: 'view', view_id: view.id }, view };
  }
  const ephemeral = click.where === 'ephemeral';
  const container = { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: ephemeral };
  // Slack leaves out the message of an ephemeral container.
  const message = ephemeral
    ? {}
    : { message: { type: 'message', user: 'U0BOT', bot_id: 'B0BOT', ts, blocks } };
  return { container, channel: { id: channel, name: 'ops' }, ...message, response_url: click.responseUrl };
};

/** A block_actions interaction: form-encoded with the JSON in a single `payload` field. */
export const blockActionBody = (click: ButtonClick): SlackBody => {
  const user = click.user.toLowerCase();
  const payload = {
    type: 'block_actions',
    user: { id: click.user, username: user, name: user, team_id: TEAM.id },
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    trigger_id: click.triggerId ?? triggerId(),
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    ...clickContainer(click),
    state: { values: {} },
    actions: [
      {
        type: 'button',
        block_id: randomBytes(3).toString('hex'),
        action_ts: click.actionTs ?? `${nowSeconds()}.${String(Date.now() % 1_000_000).padStart(6, '0')}`,
        ...click.button,
      },
    ],
  };
  return {
    raw: `payload=${encodeURIComponent(JSON.stringify(payload))}`,
    contentType: 'application/x-www-form-urlencoded',
  };
};

/** An Events API callback (JSON), e.g. app_home_opened. */
export const eventBody = (
  event: Record<string, unknown>,
  eventId = `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
) => {
  const body = {
    token: VERIFICATION_TOKEN,
    team_id: TEAM.id,
    api_app_id: APP_ID,
    event: { event_ts: `${nowSeconds()}.000200`, ...event },
    type: 'event_callback',
    event_id: eventId,
    event_time: nowSeconds(),
    authorizations: [
      { enterprise_id: null, team_id: TEAM.id, user_id: 'U0BOT', is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
  };
  return { raw: JSON.stringify(body), contentType: 'application/json' } satisfies SlackBody;
};

export interface SendOptions {
  /** Seconds since the epoch; now by default. */
  timestamp?: number | string;
  secret?: string;
  /** Extra or overriding headers (e.g. `x-slack-retry-num`, a forged signature). */
  headers?: Record<string, string>;
}

/** The headers Slack sends with `body`: content type, timestamp and signature. */
export const signedHeaders = (body: SlackBody, options: SendOptions = {}): Record<string, string> => {
  const timestamp = String(options.timestamp ?? nowSeconds());
  return {
    'content-type': body.contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': slackSignature(options.secret ?? TEST_SIGNING_SECRET, timestamp, body.raw),
    ...options.headers,
  };
};

/** Posts `body` to the bot signed the way Slack signs it. */
export const sendSigned = (url: string, body: SlackBody, options: SendOptions = {}): Promise<Response> =>
  fetch(url, { method: 'POST', headers: signedHeaders(body, options), body: body.raw });
