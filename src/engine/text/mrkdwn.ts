/**
 * The text of a neutral `Message` is Slack's own escaped mrkdwn: `&`, `<` and `>` in literal text
 * are written `&amp;`, `&lt;`, `&gt;`, and a `<…>` token is always one the bot made (a mention from
 * `mention`, a link from `link`). Commit subjects, author names, refs, diffs, Puppet messages,
 * reasons and build output are untrusted: every view passes them through `escapeText` before they
 * are interpolated, so `<!channel>` or `<https://evil|GitHub>` in a commit subject reaches chat as
 * the characters it is, never as a live mention or a disguised link.
 */

/** Untrusted text → literal mrkdwn (Slack's three escapes). */
export const escapeText = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The inverse, for surfaces that show text as typed (the terminal, plain-text fields). */
export const unescapeText = (text: string): string =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** A chat user id as configured (`U024BE7LH`); anything else is not a mention. */
export const USER_ID = /^[A-Z0-9_]{2,40}$/;

/** A chat user group id as configured (`S0123ABC`, Slack's user group ids). */
export const USERGROUP_ID = /^S[A-Z0-9]{2,40}$/;

/**
 * How an owner list names a user group (config `approvals.owners: { '@org/t': { usergroup: S0123 } }`):
 * `subteam^S0123`, which no chat user id can be (user ids have no `^`), so it never approves.
 */
export const groupOwner = (usergroup: string): string => `subteam^${usergroup}`;

/** The user group an owner entry names, when it names one. */
export const usergroupOf = (owner: string): string | undefined => {
  const id = owner.startsWith('subteam^') ? owner.slice('subteam^'.length) : undefined;
  return id !== undefined && USERGROUP_ID.test(id) ? id : undefined;
};

/** A mention of a chat user group (`S0123` → `<!subteam^S0123>`); anything else is shown escaped. */
export const mentionGroup = (id: string): string =>
  USERGROUP_ID.test(id) ? `<!subteam^${id}>` : escapeText(id);

/**
 * A mention of one chat user, or of a user group an owner list names (`subteam^S0123`); a value
 * that is neither is shown escaped, never as a token.
 */
export const mention = (id: string): string => {
  if (USER_ID.test(id)) return `<@${id}>`;
  const group = usergroupOf(id);
  return group === undefined ? escapeText(id) : mentionGroup(group);
};

export const mentionAll = (ids: readonly string[]): string => ids.map(mention).join(', ');

/** What `link` accepts: an http(s) URL with nothing in it that would end or split a Slack token. */
const LINK_URL = /^https?:\/\/[^\s<>|]+$/i;

/**
 * A link the bot makes, `<url|label>` with the label escaped. Only http(s) URLs become links;
 * anything else (`javascript:`, `slack://`, a URL with spaces) is shown as the text it is.
 */
export const link = (url: string, label?: string): string => {
  if (!LINK_URL.test(url)) return escapeText(label === undefined ? url : `${label} (${url})`);
  const target = url.replace(/&/g, '&amp;');
  return label === undefined || label === '' ? `<${target}>` : `<${target}|${escapeText(label)}>`;
};
