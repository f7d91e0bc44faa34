import { isIP } from 'node:net';
import { z } from 'zod';

export const SLACK_API_URL = 'https://slack.com/api/';

/** Hosts whose traffic never leaves this machine, so plain http to them exposes no token. */
const isLoopbackHost = (hostname: string): boolean => {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
};

/** Why `text` cannot be the Web API's address, or undefined when it can. */
export const slackApiUrlProblem = (text: string): string | undefined => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'expected an absolute URL such as https://slack.com/api/';
  }
  if (url.username || url.password)
    return 'expected a URL without credentials (the bot token is sent as a header)';
  if (url.search || url.hash)
    return 'expected a URL without a query or fragment, such as https://slack.com/api/';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  if (url.protocol === 'http:')
    return 'expected an https URL (plain http only to a loopback host such as 127.0.0.1: the bot token travels with every call)';
  return 'expected an https URL such as https://slack.com/api/';
};

/**
 * The Slack Web API's address: Slack's own, a GovSlack one (`https://slack-gov.com/api/`), or a
 * stand-in on this machine for tests and benches. Held with a trailing slash, as the client joins
 * method names onto it.
 */
const slackApiUrl = z
  .string()
  .default(SLACK_API_URL)
  .transform((text, ctx) => {
    const problem = slackApiUrlProblem(text);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem, input: text });
      return z.NEVER;
    }
    return text.endsWith('/') ? text : `${text}/`;
  });

/** How the bot meets Slack: the HTTP receiver it serves, and the Web API it calls. */
export const slackSchema = z
  .strictObject({
    /** Interface the HTTP receiver binds (HTTP mode); 127.0.0.1 when a proxy on this host fronts it. */
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(3000),
    path: z.string().startsWith('/').default('/slack/events'),
    apiUrl: slackApiUrl,
  })
  .prefault({});
