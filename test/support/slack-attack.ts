import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** Written into every hostile body, so a test can check that no log line carries any of it. */
export const BODY_MARKER = 'HOSTILE-BODY-MARKER';

export type HostileKind =
  /** Headers sent a byte a second, never finished. */
  | 'slow-headers'
  /** No signature header at all, a 5 MB body sent as fast as the server takes it. */
  | 'unsigned-big'
  /** A signature header that is not `v0=` + 64 hex, the body a byte a second. */
  | 'malformed-slow'
  /** A well-formed but forged signature, the body a byte a second. */
  | 'forged-slow'
  /** A forged signature and `Content-Length: 5 MB`. */
  | 'forged-big'
  /** A forged signature and a chunked 5 MB body (no Content-Length). */
  | 'forged-chunked';

export const HOSTILE_KINDS: readonly HostileKind[] = [
  'slow-headers',
  'unsigned-big',
  'malformed-slow',
  'forged-slow',
  'forged-big',
  'forged-chunked',
];

export interface HostileRequest {
  kind: HostileKind;
  /** Resolves once connected and the first bytes are written. */
  opened: Promise<void>;
  /** The status the server answered, or undefined when it closed without one (or `giveUpMs` ran out). */
  answered: Promise<number | undefined>;
  /** True once a status line or the end of the connection arrived. */
  done(): boolean;
}

const BIG = 5 * 1024 * 1024;
const piece = Buffer.alloc(64 * 1024, `${BODY_MARKER} `);

const headerLines = (kind: HostileKind, path: string, port: number): string[] => {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const forged = `v0=${randomBytes(32).toString('hex')}`;
  const common = [
    `POST ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Content-Type: application/x-www-form-urlencoded',
    `X-Slack-Request-Timestamp: ${timestamp}`,
  ];
  switch (kind) {
    case 'slow-headers':
      return common;
    case 'unsigned-big':
      return [...common, `Content-Length: ${BIG}`];
    case 'malformed-slow':
      return [...common, 'X-Slack-Signature: v0=not-a-signature', 'Content-Length: 1000'];
    case 'forged-slow':
      return [...common, `X-Slack-Signature: ${forged}`, 'Content-Length: 1000'];
    case 'forged-big':
      return [...common, `X-Slack-Signature: ${forged}`, `Content-Length: ${BIG}`];
    case 'forged-chunked':
      return [...common, `X-Slack-Signature: ${forged}`, 'Transfer-Encoding: chunked'];
  }
};

/** Writes `total` bytes as fast as the socket takes them (waiting for drain), until stopped. */
const pour = async (socket: Socket, chunked: boolean, stopped: () => boolean) => {
  let sent = 0;
  while (sent < BIG && !stopped() && socket.writable) {
    const frame = chunked
      ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
      : piece;
    sent += piece.length;
    if (!socket.write(frame)) {
      await new Promise<void>((resolve) => {
        socket.once('drain', resolve);
        socket.once('close', resolve);
      });
    }
  }
  if (chunked && socket.writable && !stopped()) socket.write('0\r\n\r\n');
};

/**
 * One hostile request over a raw socket, paced as its kind says. It stops sending as soon as the
 * server answers, and reads the status line of the answer.
 */
export const openHostile = (
  kind: HostileKind,
  port: number,
  options: { path?: string; giveUpMs?: number } = {},
): HostileRequest => {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let received = '';
  let finished = false;
  let drip: NodeJS.Timeout | undefined;
  const lines = headerLines(kind, options.path ?? '/slack/events', port);
  const answered = new Promise<number | undefined>((resolve) => {
    const finish = (status: number | undefined) => {
      if (finished) return;
      finished = true;
      clearInterval(drip);
      clearTimeout(giveUp);
      socket.destroy();
      resolve(status);
    };
    const giveUp = setTimeout(() => finish(undefined), options.giveUpMs ?? 20_000);
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (match) finish(Number(match[1]));
    });
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
  });
  const opened = new Promise<void>((resolve) => {
    socket.once('connect', () => {
      // A byte a second: the headers of slow-headers, the body of the slow kinds.
      const slow = kind === 'slow-headers' ? `${lines.join('\r\n')}\r\nX-Pad: ` : undefined;
      if (slow) socket.write(slow.slice(0, 16));
      else socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (kind === 'slow-headers' || kind.endsWith('-slow')) {
        drip = setInterval(() => {
          if (!finished && socket.writable) socket.write(kind === 'slow-headers' ? 'x' : 'H');
        }, 1000);
      } else void pour(socket, kind === 'forged-chunked', () => finished);
      resolve();
    });
    socket.once('error', () => resolve());
  });
  return { kind, opened, answered, done: () => finished };
};
