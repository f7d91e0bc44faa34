import { invalidModal, type ModalView } from './slack-modal-checks.js';

/** The workspace the fake Slack API pretends to be. */
export const FAKE_TEAM = {
  team_id: 'T0TEST',
  team: 'Heckler Test',
  bot_id: 'B0BOT',
  user_id: 'U0BOT',
} as const;

type Args = Record<string, unknown>;
type Answer = Record<string, unknown>;

interface TextObject {
  text?: string;
}
interface AnyBlock {
  type?: string;
  text?: TextObject;
  fields?: TextObject[];
  elements?: (TextObject & { type?: string; value?: string; action_id?: string })[];
}

/** Slack's limit on the text of all blocks of one message (`msg_blocks_too_long` past it). */
export const MESSAGE_TEXT_LIMIT = 12_000;

/** Every string held under a `text` key, at any depth: what Slack counts of a message's blocks. */
export const blocksText = (value: unknown): number => {
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + blocksText(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  return Object.entries(value).reduce<number>(
    (sum, [key, inner]) =>
      sum + (key === 'text' && typeof inner === 'string' ? inner.length : blocksText(inner)),
    0,
  );
};

/**
 * Answers of the Web API methods Heckler uses, with Slack's response shapes and the checks
 * Slack itself makes, so a message over Slack's limits fails here as it would in production.
 */
export class FakeWorkspace {
  private readonly posted = new Set<string>();
  /** Names for conversations.info: the signed test requests' channel, and those posted to by name. */
  private readonly names = new Map<string, string>([['C0OPS', 'ops']]);
  private seq = 0;

  constructor(private readonly base: string) {}

  /** Slack's `invalid_blocks` reasons, or undefined when the blocks are acceptable. */
  invalidBlocks(blocks: unknown, maxBlocks: number): string | undefined {
    if (blocks === undefined) return undefined;
    if (!Array.isArray(blocks)) return 'blocks must be an array';
    if (blocks.length > maxBlocks) return `no more than ${maxBlocks} items allowed [json-pointer:/blocks]`;
    for (const [i, block] of (blocks as AnyBlock[]).entries()) {
      const where = `[json-pointer:/blocks/${i}]`;
      const text = block.text?.text ?? '';
      if (block.type === 'section' && text.length > 3000) return `must be less than 3001 characters ${where}`;
      if (block.type === 'header' && text.length > 150) return `must be less than 151 characters ${where}`;
      if ((block.fields ?? []).length > 10) return `no more than 10 items allowed ${where}`;
      if ((block.fields ?? []).some((f) => (f.text ?? '').length > 2000)) return `field too long ${where}`;
      const ids = new Set<string>();
      for (const element of block.type === 'actions' ? (block.elements ?? []) : []) {
        if ((element.value ?? '').length > 2000) return `must be less than 2001 characters ${where}`;
        if (element.action_id && ids.has(element.action_id)) return `action_id already exists ${where}`;
        if (element.action_id) ids.add(element.action_id);
      }
    }
    return undefined;
  }

  /** Messages (not views) whose blocks hold more text than Slack takes in one message. */
  tooLong(blocks: unknown): boolean {
    return Array.isArray(blocks) && blocksText(blocks) > MESSAGE_TEXT_LIMIT;
  }

  answer(method: string, args: Args): Answer {
    const { team_id, team, bot_id, user_id } = FAKE_TEAM;
    const limit = method === 'views.publish' ? 100 : 50;
    const blocks =
      method === 'views.publish' ? (args.view as AnyBlock & { blocks?: unknown })?.blocks : args.blocks;
    const invalid = this.invalidBlocks(blocks, limit);
    if (invalid) return { ok: false, error: 'invalid_blocks', errors: [invalid] };
    if (method !== 'views.publish' && this.tooLong(blocks))
      return { ok: false, error: 'msg_blocks_too_long' };
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://heckler-test.slack.com/',
          team,
          user: 'heckler',
          team_id,
          user_id,
          bot_id,
        };
      case 'chat.postMessage':
        return this.postMessage(args);
      case 'chat.update': {
        const channel = this.channelId(args.channel);
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!this.posted.has(`${channel}/${String(args.ts)}`))
          return { ok: false, error: 'message_not_found' };
        return {
          ok: true,
          channel,
          ts: args.ts,
          text: args.text,
          message: { text: args.text, blocks: args.blocks },
        };
      }
      case 'chat.delete': {
        const channel = this.channelId(args.channel);
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!this.posted.delete(`${channel}/${String(args.ts)}`))
          return { ok: false, error: 'message_not_found' };
        return { ok: true, channel, ts: args.ts };
      }
      case 'chat.getPermalink': {
        const channel = this.channelId(args.channel);
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!this.posted.has(`${channel}/${String(args.message_ts)}`))
          return { ok: false, error: 'message_not_found' };
        const ts = String(args.message_ts).replace('.', '');
        return { ok: true, channel, permalink: `https://heckler-test.slack.com/archives/${channel}/p${ts}` };
      }
      case 'chat.postEphemeral':
        if (!this.channelId(args.channel)) return { ok: false, error: 'channel_not_found' };
        if (!args.user) return { ok: false, error: 'user_not_in_channel' };
        return { ok: true, message_ts: this.nextTs() };
      case 'views.open': {
        if (typeof args.trigger_id !== 'string' || args.trigger_id === '')
          return { ok: false, error: 'invalid_arguments' };
        const problem = invalidModal(args.view as ModalView | undefined);
        if (problem)
          return { ok: false, error: 'invalid_arguments', response_metadata: { messages: [problem] } };
        const view = { id: `V${String(++this.seq).padStart(8, '0')}`, team_id, app_id: 'A0TEST', bot_id };
        return { ok: true, view: { ...view, ...(args.view as Args), state: { values: {} } } };
      }
      case 'views.publish': {
        if (!args.user_id || !args.view) return { ok: false, error: 'invalid_arguments' };
        const view = { id: `V${String(++this.seq).padStart(8, '0')}`, team_id, app_id: 'A0TEST', bot_id };
        return { ok: true, view: { ...view, ...(args.view as Args) } };
      }
      case 'conversations.info': {
        const channel = this.channelId(args.channel);
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const name = this.names.get(channel) ?? channel.toLowerCase();
        return { ok: true, channel: { id: channel, name, is_channel: true, is_private: false } };
      }
      case 'files.getUploadURLExternal': {
        if (!args.filename || !args.length) return { ok: false, error: 'invalid_arguments' };
        const file_id = `F${String(++this.seq).padStart(8, '0')}`;
        return { ok: true, upload_url: `${this.base}upload/v1/${file_id}`, file_id };
      }
      case 'files.completeUploadExternal': {
        const files = (args.files ?? []) as { id: string; title?: string }[];
        return {
          ok: true,
          files: files.map((f) => ({ id: f.id, title: f.title ?? '', name: f.title ?? f.id })),
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private postMessage(args: Args): Answer {
    const channel = this.channelId(args.channel);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    if (!args.text && !args.blocks) return { ok: false, error: 'no_text' };
    const ts = this.nextTs();
    this.posted.add(`${channel}/${ts}`);
    const { bot_id, user_id } = FAKE_TEAM;
    const message = { type: 'message', user: user_id, bot_id, text: args.text, blocks: args.blocks, ts };
    return {
      ok: true,
      channel,
      ts,
      message: args.thread_ts ? { ...message, thread_ts: args.thread_ts } : message,
    };
  }

  private nextTs(): string {
    this.seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.seq).padStart(6, '0')}`;
  }

  /** Channel names and user ids resolve to ids: Slack always answers with the conversation id. */
  private channelId(channel: unknown): string | undefined {
    if (typeof channel !== 'string' || channel === '') return undefined;
    if (/^[CDG][A-Z0-9]{2,}$/.test(channel)) return channel;
    if (/^[UW][A-Z0-9]{2,}$/.test(channel)) return `D${channel.slice(1)}`;
    const name = channel.replace(/^#/, '');
    const id = `C${name.replace(/[^a-z0-9]/gi, '').toUpperCase()}`;
    this.names.set(id, name);
    return id;
  }
}
