import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ShellChat } from '../../../src/bot/shell/chat.js';
import { digestView, ownerDigestView } from '../../../src/commands/views/permadiff-digest.js';
import type { DigestSnapshot } from '../../../src/engine/permadiffs/digest.js';
import { createDigestService, type DigestService } from '../../../src/engine/permadiffs/digest-service.js';
import type { PermadiffService } from '../../../src/engine/permadiffs/service.js';
import type { PermadiffGroup } from '../../../src/engine/permadiffs/state.js';
import type { ChatFile, Message, MessageRef } from '../../../src/engine/ports/index.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { RecordingChat } from '../../fakes/recording-chat.js';
import { captureLogger } from '../../support/logger.js';
import { group, HOUR, NOW, owned } from './digest-fixtures.js';

/**
 * The digest service over the embedded store and a recording chat: what it posts, who it tells,
 * what it stores — and that a failing private message or file upload loses nothing.
 */
class FlakyChat extends RecordingChat {
  failDirectTo = new Set<string>();
  failUploads = false;
  override async direct(user: string, message: Message): Promise<MessageRef> {
    if (this.failDirectTo.has(user)) throw new Error(`cannot_dm_bot ${user}`);
    return super.direct(user, message);
  }
  override async upload(channel: string, file: ChatFile, thread?: MessageRef): Promise<void> {
    if (this.failUploads) throw new Error('file_uploads_disabled <!channel>');
    return super.upload(channel, file, thread);
  }
}

let storage: Storage;
let chat: FlakyChat;
let groups: PermadiffGroup[];
let service: DigestService;
let snapshots: ReturnType<Storage['store']>;

const exec = group('h-exec', 'Exec[touch /data/always]', { web1: 3, web2: 3 }, { owners: owned('U0ERIN') });
const file = group('h-file', 'File[/data/drift.conf]', { web2: 2 }, { owners: owned('U0BOB') });

const make = () => {
  const permadiffs: PermadiffService = {
    scan: async () => {
      throw new Error('the digest never scans');
    },
    scheduled: async () => undefined,
    current: async () => ({
      groups,
      minRuns: 2,
      lastScan: {
        at: NOW - HOUR,
        startedAt: NOW - 2 * HOUR,
        by: 'schedule',
        scanned: ['web1', 'web2'],
        notScanned: [],
      },
    }),
  };
  return createDigestService({
    permadiffs,
    snapshots: storage.store<DigestSnapshot>('permadiff-digests'),
    chat,
    channel: 'CDIGEST',
    ignores: async () => [],
    nodeLocks: async () => [],
    applyRunning: async () => false,
    owners: { admins: ['U0ADMIN'] },
    present: { digest: digestView, owner: ownerDigestView },
    clock: { now: () => NOW },
    logger: captureLogger().logger,
  });
};

beforeEach(async () => {
  await storage?.close();
  storage = await createStorage({
    dataDir: mkdtempSync(join(tmpdir(), 'heckler-digest-svc-')),
    keyPrefix: 'digest',
  });
  snapshots = storage.store('permadiff-digests');
  chat = new FlakyChat();
  groups = [exec, file];
  service = make();
});

afterAll(async () => {
  await storage?.close();
});

describe('the digest service', () => {
  it('posts in the digest channel, tells each owner, and stores the snapshot', async () => {
    const outcome = await service.post('U0ADMIN');
    expect(chat.events.filter((e) => e.kind === 'post').map((e) => e.kind === 'post' && e.channel)).toEqual([
      'CDIGEST',
    ]);
    expect(outcome.sentTo).toEqual(['U0BOB', 'U0ERIN']);
    expect(((await snapshots.get('last')) as DigestSnapshot).standing.map((g) => g.hash)).toEqual([
      'h-exec',
      'h-file',
    ]);
  });

  it('keeps nothing of a preview: no post, no message to owners, no snapshot', async () => {
    const { presented } = await service.preview();
    expect(presented.message.text).toContain('2 permadiffs');
    expect(chat.events).toEqual([]);
    expect(await snapshots.get('last')).toBeUndefined();
  });

  it('does not record a private message that failed, so the next digest tries that person again', async () => {
    chat.failDirectTo.add('U0BOB');
    expect((await service.post('schedule')).sentTo).toEqual(['U0ERIN']);
    chat.failDirectTo.clear();
    expect((await service.post('schedule')).sentTo).toEqual(['U0BOB']);
    expect((await service.post('schedule')).sentTo).toEqual([]);
  });

  it('says in the thread when the file could not be attached, escaped, and still stores the digest', async () => {
    groups = Array.from({ length: 30 }, (_, i) =>
      group(`h${i}`, `File[/etc/${i}.conf]`, { web1: 2 }, { diff: `${'+x\n'.repeat(30)}` }),
    );
    chat.failUploads = true;
    await service.post('schedule');
    const reply = chat.events.find((e) => e.kind === 'reply');
    expect(reply?.kind === 'reply' && reply.message.text).toContain(
      'The attached file could not be uploaded (Error: file_uploads_disabled &lt;!channel&gt;)',
    );
    expect(await snapshots.get('last')).toBeDefined();
  });

  it('refuses a second digest while one is being posted', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const post = chat.post.bind(chat);
    chat.post = async (channel, message) => {
      await held;
      return post(channel, message);
    };
    const first = service.post('U0ADMIN');
    await expect(service.post('U0BOB')).rejects.toThrow(
      /a permadiff digest is being posted already \(by U0ADMIN\)/,
    );
    release();
    await first;
    expect(chat.events.filter((e) => e.kind === 'post')).toHaveLength(1);
  });
});

describe('private messages in the terminal', () => {
  it('are printed marked as private to that user', async () => {
    const out = new PassThrough();
    let printed = '';
    out.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
    });
    const shell = new ShellChat(out, { U0BOB: 'bob' });
    const ref = await shell.direct('U0BOB', { text: 'yours', blocks: [{ kind: 'section', text: 'yours' }] });
    expect(ref.channel).toBe('@U0BOB');
    expect(printed).toContain('┌ private to @bob · m1\n│ yours');
  });
});
