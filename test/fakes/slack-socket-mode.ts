import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { FakeSlackApi } from './slack-api.js';

/** An app-level token of the fake app, as Slack shapes them (`xapp-1-<app id>-…`). */
export const APP_TOKEN = 'xapp-1-A0TEST-4242424242-6f2c0a5e9d8b7c1a3e5f7a9b1c3d5e7f';
export const FAKE_APP_ID = 'A0TEST';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** One envelope as Slack sends it over the socket. */
export interface Envelope {
  envelope_id: string;
  type: string;
  payload: unknown;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

/** What the client sent back: `{ envelope_id, payload? }`, on which connection, how long after the envelope. */
export interface Ack {
  envelope_id: string;
  payload?: Record<string, unknown>;
  connection: number;
  /** Milliseconds from sending the envelope to its ack (Slack gives up after 3 000). */
  ms: number;
}

export interface Connection {
  id: number;
  socket: WebSocket;
  /** Settles with the close code once the socket is closed (by either side). */
  closed: Promise<number>;
}

type Waiter = () => boolean;

/**
 * Slack's Socket Mode on 127.0.0.1: `apps.connections.open` on the fake Web API (app-level tokens
 * only) hands out one-use `ws://` URLs; a connection opened with one gets `hello`, then the
 * envelopes a test sends, and acks come back as `{ envelope_id, payload }`. `disconnect` messages
 * (`refresh_requested`, `link_disabled`) ask the client to reconnect as Slack does before it
 * recycles a connection. The real @slack/socket-mode client runs unmodified against it.
 */
export class FakeSocketMode {
  readonly connections: Connection[] = [];
  readonly acks: Ack[] = [];
  /** Client messages that were not acks of a sent envelope (a well-behaved client sends none). */
  readonly unexpected: string[] = [];
  /** Upgrades refused (unknown or reused ticket, or while `refuseUpgrades`). */
  readonly refused: string[] = [];
  /** While true every upgrade is refused, as when Slack's socket servers cannot be reached. */
  refuseUpgrades = false;
  /** Every ticket handed out by apps.connections.open, used or not. */
  readonly issued: string[] = [];
  private readonly tickets = new Set<string>();
  private readonly sentAt = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  private helloed = 0;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
    readonly appTokens: readonly string[],
  ) {}

  /** Listens for sockets and answers `apps.connections.open` on `api` for `appTokens`. */
  static async start(api: FakeSlackApi, options: { appTokens?: string[] } = {}): Promise<FakeSocketMode> {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (info: { req: IncomingMessage }) => fake.admit(info.req),
    });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const fake: FakeSocketMode = new FakeSocketMode(
      wss,
      `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link/`,
      options.appTokens ?? [APP_TOKEN],
    );
    wss.on('connection', (socket) => fake.accept(socket));
    api.serve('apps.connections.open', (_args, token) => fake.open(token));
    return fake;
  }

  /** Connections that got their `hello`. */
  get helloCount(): number {
    return this.helloed;
  }

  /** The open connection Slack would deliver to (the newest). */
  get current(): Connection | undefined {
    return [...this.connections].reverse().find((c) => c.socket.readyState === c.socket.OPEN);
  }

  /** Resolves once `n` connections have been greeted with `hello`. */
  waitForHello(n: number, timeoutMs = 20_000): Promise<Connection> {
    return this.until(
      () => (this.helloed >= n ? this.connections[n - 1] : undefined),
      `hello #${n}`,
      timeoutMs,
    );
  }

  /** Sends an envelope on the current connection; its ack (if the client sends one) resolves `ack`. */
  send(
    type: string,
    payload: unknown,
    extra: Partial<Envelope> = {},
  ): { envelope: Envelope; ack: Promise<Ack> } {
    const envelope: Envelope = {
      envelope_id: randomUUID(),
      type,
      payload,
      accepts_response_payload: type !== 'events_api',
      ...extra,
    };
    this.sendRaw(JSON.stringify(envelope));
    this.sentAt.set(envelope.envelope_id, performance.now());
    const ack = this.waitForAck(envelope.envelope_id);
    // An envelope the client never acks is a case tests make on purpose; only awaiting it fails.
    ack.catch(() => undefined);
    return { envelope, ack };
  }

  /** Sends the same envelope again, as Slack may after a reconnect. */
  replay(envelope: Envelope): Promise<Ack> {
    const before = this.acks.filter((a) => a.envelope_id === envelope.envelope_id).length;
    this.sendRaw(JSON.stringify(envelope));
    this.sentAt.set(envelope.envelope_id, performance.now());
    return this.until(
      () => this.acks.filter((a) => a.envelope_id === envelope.envelope_id)[before],
      `second ack of ${envelope.envelope_id}`,
      15_000,
    );
  }

  /** Any text (malformed JSON, unknown shapes) on the current connection. */
  sendRaw(data: string): void {
    const connection = this.current;
    if (!connection) throw new Error('fake Socket Mode: no open connection to send on');
    connection.socket.send(data);
  }

  /** Slack's `disconnect` message; the client is expected to close and open a new connection. */
  disconnect(reason: 'refresh_requested' | 'link_disabled' | 'warning' = 'refresh_requested'): Connection {
    const connection = this.current;
    if (!connection) throw new Error('fake Socket Mode: no open connection to disconnect');
    connection.socket.send(
      JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake-1' } }),
    );
    return connection;
  }

  /** Resolves once `n` upgrades have been refused. */
  waitForRefusals(n: number, timeoutMs = 20_000): Promise<string> {
    return this.until(() => this.refused[n - 1], `refusal #${n}`, timeoutMs);
  }

  waitForAck(envelopeId: string, timeoutMs = 15_000): Promise<Ack> {
    return this.until(
      () => this.acks.find((a) => a.envelope_id === envelopeId),
      `ack of ${envelopeId}`,
      timeoutMs,
    );
  }

  acksOf(envelopeId: string): Ack[] {
    return this.acks.filter((a) => a.envelope_id === envelopeId);
  }

  async stop(): Promise<void> {
    for (const { socket } of this.connections) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  /** `apps.connections.open`: only app-level tokens of this app, as Slack checks them. */
  private open(token: string | undefined): Record<string, unknown> {
    if (!token) return { ok: false, error: 'not_authed' };
    if (!token.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
    if (!this.appTokens.includes(token)) return { ok: false, error: 'invalid_auth' };
    const ticket = randomUUID();
    this.tickets.add(ticket);
    this.issued.push(ticket);
    return { ok: true, url: `${this.url}?ticket=${ticket}&app_id=${FAKE_APP_ID}` };
  }

  /** A ticket opens one connection; anything else is refused before the upgrade. */
  private admit(req: IncomingMessage): boolean {
    const ticket = new URL(req.url ?? '/', 'ws://fake').searchParams.get('ticket') ?? '';
    if (!this.refuseUpgrades && this.tickets.delete(ticket)) return true;
    this.refused.push(ticket);
    this.notify();
    return false;
  }

  private accept(socket: WebSocket): void {
    const id = this.connections.length + 1;
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    this.connections.push({ id, socket, closed });
    socket.on('message', (data, isBinary) => this.received(id, data, isBinary));
    socket.on('close', () => this.notify());
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.connections.filter((c) => c.socket.readyState === c.socket.OPEN).length,
        debug_info: { host: 'applink-fake-1', build_number: 118, approximate_connection_time: 18060 },
        connection_info: { app_id: FAKE_APP_ID },
      }),
    );
    this.helloed += 1;
    this.notify();
  }

  private received(connection: number, data: RawData, isBinary: boolean): void {
    const text = isBinary ? '<binary>' : data.toString();
    let message: { envelope_id?: unknown; payload?: unknown } | undefined;
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      message = undefined;
    }
    const id = message?.envelope_id;
    const sentAt = typeof id === 'string' ? this.sentAt.get(id) : undefined;
    if (typeof id !== 'string' || sentAt === undefined) {
      this.unexpected.push(text);
    } else {
      const payload = message?.payload as Record<string, unknown> | undefined;
      this.acks.push({
        envelope_id: id,
        ...(payload ? { payload } : {}),
        connection,
        ms: performance.now() - sentAt,
      });
    }
    this.notify();
  }

  private until<T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check: Waiter = () => {
        const found = find();
        if (found === undefined) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`fake Socket Mode: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
