import { randomBytes } from 'node:crypto';
import type { SlackBody } from './slack-signing.js';
import { triggerId } from './slack-signing.js';

/**
 * Interaction payloads Slack posts for modals, in Slack's shapes (form-encoded, the JSON in one
 * `payload` field): a view submission, an external select's `block_suggestion`, a global shortcut.
 */
const TEAM = { id: 'T0TEST', domain: 'heckler-test' };
const APP_ID = 'A0TEST';
const TOKEN = 'gIkuvaNzQIHg97ATvDxqgjtO';

const person = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: TEAM.id });

const form = (payload: unknown): SlackBody => ({
  raw: `payload=${encodeURIComponent(JSON.stringify(payload))}`,
  contentType: 'application/x-www-form-urlencoded',
});

/** A view as Slack holds it once opened: what views.open sent plus Slack's own fields. */
export type OpenedView = Record<string, unknown> & {
  id?: string;
  private_metadata?: string;
  callback_id?: string;
};

type Values = Record<string, Record<string, Record<string, unknown>>>;

/** A plain_text_input's state entry. */
export const typed = (value: string) => ({ type: 'plain_text_input', value });
/** A select's state entry. */
export const picked = (type: 'external_select' | 'static_select', value: string) => ({
  type,
  selected_option: { text: { type: 'plain_text', text: value, emoji: true }, value },
});

export const viewSubmissionBody = (user: string, view: OpenedView, values: Values): SlackBody =>
  form({
    type: 'view_submission',
    team: TEAM,
    user: person(user),
    api_app_id: APP_ID,
    token: TOKEN,
    trigger_id: triggerId(),
    view: {
      id: view.id ?? `V${randomBytes(4).toString('hex').toUpperCase()}`,
      team_id: TEAM.id,
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
      previous_view_id: null,
      root_view_id: view.id,
      app_id: APP_ID,
      external_id: '',
      app_installed_team_id: TEAM.id,
      bot_id: 'B0BOT',
      clear_on_close: false,
      notify_on_close: false,
      ...view,
      state: { values },
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  });

export const blockSuggestionBody = (
  user: string,
  view: OpenedView,
  field: { block: string; action: string },
  value: string,
): SlackBody =>
  form({
    type: 'block_suggestion',
    user: person(user),
    container: { type: 'view', view_id: view.id },
    api_app_id: APP_ID,
    token: TOKEN,
    action_id: field.action,
    block_id: field.block,
    value,
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    view: { ...view, state: { values: {} } },
  });

export const shortcutBody = (user: string, callbackId: string, trigger = triggerId()): SlackBody =>
  form({
    type: 'shortcut',
    token: TOKEN,
    action_ts: `${Math.floor(Date.now() / 1000)}.${String(Date.now() % 1_000_000).padStart(6, '0')}`,
    team: TEAM,
    user: { id: user, username: user.toLowerCase(), team_id: TEAM.id },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: callbackId,
    trigger_id: trigger,
  });
