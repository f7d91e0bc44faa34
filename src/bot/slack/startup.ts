import { webApi } from '@slack/bolt';
import { HecklerError } from '../../engine/errors.js';

type WebClientOptions = webApi.WebClientOptions;

/** Long enough for a slow Slack, short enough that a wrong address fails well inside 15 s. */
export const STARTUP_CHECK_TIMEOUT_MS = 5_000;

/** What Slack says of a bot token it will not take. */
const BAD_TOKEN = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
]);

export interface SlackIdentity {
  botId?: string;
  botUserId?: string;
  team?: string;
}

/** Node's network failures say why in a cause (`connect ECONNREFUSED 127.0.0.1:9`), not the message. */
const networkReason = (error: unknown): string => {
  let reason = error instanceof Error ? error.message : String(error);
  const start = error instanceof webApi.WebAPIRequestError ? error.original : error;
  for (let cause: unknown = start; cause instanceof Error; cause = cause.cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    // axios's own timeout, or the fetch adapter's AbortSignal.timeout.
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || cause.name === 'TimeoutError')
      return `no answer within ${STARTUP_CHECK_TIMEOUT_MS / 1000} s`;
    if (code && /^E[A-Z]+$/.test(code))
      return cause.message.includes(code) ? cause.message : `${code}: ${cause.message}`;
    reason = cause.message;
  }
  return reason;
};

/** Which start-up call failed: the bot token's auth.test, or Socket Mode's apps.connections.open. */
interface StartupCall {
  method: string;
  /** What the refusal of the token says to do. */
  refused: (apiUrl: string, code: string) => string;
  /** What any other error answer says to check. */
  check: string;
}

const BOT_TOKEN_CALL: StartupCall = {
  method: 'auth.test',
  refused: (apiUrl, code) =>
    `Slack at ${apiUrl} refused the bot token (${code}): SLACK_BOT_TOKEN is not a valid token of a ` +
    `workspace app; set it to the app's Bot User OAuth Token (xoxb-…) from its OAuth & Permissions page`,
  check: 'check the app and its token in Slack, and slack.apiUrl',
};

/** Socket Mode asks for its WebSocket URL with the app-level token, after the bot token passed. */
export const APP_TOKEN_CALL: StartupCall = {
  method: 'apps.connections.open',
  refused: (apiUrl, code) =>
    `Slack at ${apiUrl} refused the app-level token (${code}): SLACK_APP_TOKEN is not a valid app-level ` +
    `token of this app; generate one with the connections:write scope under Basic Information › ` +
    `App-Level Tokens, or unset SLACK_APP_TOKEN to use HTTP mode`,
  check: 'check that Socket Mode is enabled for the app (Settings › Socket Mode) and SLACK_APP_TOKEN',
};

/** Refusals of an app-level token: the bot token's, and what @slack/socket-mode gives up on. */
const BAD_APP_TOKEN = new Set([
  ...BAD_TOKEN,
  'not_allowed_token_type',
  'user_removed_from_team',
  'team_disabled',
]);

/**
 * Why the bot cannot work with Slack, in one line that says what to do (no hint: the line is all
 * that is printed before the process exits).
 */
export const startupFailure = (error: unknown, apiUrl: string, call = BOT_TOKEN_CALL): HecklerError => {
  const { method } = call;
  if (error instanceof webApi.WebAPIPlatformError) {
    const code = String(error.data.error);
    const refused = call === BOT_TOKEN_CALL ? BAD_TOKEN : BAD_APP_TOKEN;
    if (refused.has(code))
      return new HecklerError('CONFIG_INVALID', call.refused(apiUrl, code), { cause: error });
    return new HecklerError(
      'CHAT_UNAVAILABLE',
      `Slack at ${apiUrl} answered ${method} with ${code}: ${call.check}`,
      {
        cause: error,
      },
    );
  }
  if (error instanceof webApi.WebAPIHTTPError)
    return new HecklerError(
      'CHAT_UNAVAILABLE',
      `Slack's Web API is not at ${apiUrl}: ${method} answered HTTP ${error.statusCode}; check slack.apiUrl`,
      { cause: error },
    );
  if (error instanceof webApi.WebAPIRateLimitedError)
    return new HecklerError(
      'CHAT_UNAVAILABLE',
      `Slack at ${apiUrl} rate-limited ${method}: start the bot again in ${error.retryAfter} s`,
      { cause: error },
    );
  return new HecklerError(
    'CHAT_UNAVAILABLE',
    `Slack is unreachable at ${apiUrl} (${networkReason(error)}): check slack.apiUrl, and that this host ` +
      `can reach it (DNS, firewall, proxy)`,
    { cause: error },
  );
};

/**
 * Asks Slack who the token belongs to, once, with a short timeout and no retries, so a bot that
 * cannot work says why at once instead of retrying in its log. Its answer also saves Bolt the
 * auth.test it would otherwise make.
 */
export const checkSlackAuth = async (
  token: string,
  options: WebClientOptions & { slackApiUrl: string },
): Promise<SlackIdentity> => {
  const client = new webApi.WebClient(token, {
    ...options,
    timeout: STARTUP_CHECK_TIMEOUT_MS,
    retryConfig: { retries: 0 },
  });
  try {
    const answer = await client.auth.test();
    return {
      ...(answer.bot_id ? { botId: answer.bot_id } : {}),
      ...(answer.user_id ? { botUserId: answer.user_id } : {}),
      ...(answer.team ? { team: answer.team } : {}),
    };
  } catch (error) {
    throw startupFailure(error, options.slackApiUrl);
  }
};

/**
 * Asks Slack for a Socket Mode URL with the app-level token, once, as checkSlackAuth asks about
 * the bot token: a refused or missing-Socket-Mode app says why before anything is cloned or
 * started, instead of @slack/socket-mode retrying in the log. The URL is not used (Slack lets
 * unused ones expire); the client asks for its own when it connects.
 */
export const checkAppToken = async (
  appToken: string,
  options: WebClientOptions & { slackApiUrl: string },
): Promise<void> => {
  const client = new webApi.WebClient(appToken, {
    ...options,
    timeout: STARTUP_CHECK_TIMEOUT_MS,
    retryConfig: { retries: 0 },
  });
  try {
    await client.apps.connections.open();
  } catch (error) {
    throw startupFailure(error, options.slackApiUrl, APP_TOKEN_CALL);
  }
};
