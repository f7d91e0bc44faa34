import type { OutputStream } from '../../engine/ports/containers.js';

const headerBytes = 8;

/**
 * Docker's multiplexed stream (exec without a TTY, and `logs({ follow: false })`): frames of an
 * 8-byte header — stream type, three zero bytes, a big-endian payload length — then the payload.
 * Chunks from the socket split frames anywhere, so partial frames wait for the rest.
 */
export class Demuxer {
  #pending: Buffer = Buffer.alloc(0);
  readonly #onFrame: (payload: Buffer, stream: OutputStream) => void;

  constructor(onFrame: (payload: Buffer, stream: OutputStream) => void) {
    this.#onFrame = onFrame;
  }

  push(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let offset = 0;
    while (this.#pending.length - offset >= headerBytes) {
      const size = this.#pending.readUInt32BE(offset + 4);
      const end = offset + headerBytes + size;
      if (end > this.#pending.length) break;
      // 1 is stdout; 2 is stderr and 3 the engine's own error text, which belongs with stderr.
      const kind = this.#pending[offset];
      const stream: OutputStream = kind === 2 || kind === 3 ? 'stderr' : 'stdout';
      if (size > 0) this.#onFrame(this.#pending.subarray(offset + headerBytes, end), stream);
      offset = end;
    }
    this.#pending = this.#pending.subarray(offset);
  }

  /** Bytes of an unfinished frame: non-zero after the stream ends means it was cut short. */
  get leftover(): number {
    return this.#pending.length;
  }
}

/** A whole multiplexed buffer (e.g. non-following logs) split into stdout and stderr text. */
export const demultiplex = (data: Buffer): { stdout: string; stderr: string } => {
  const parts: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  new Demuxer((payload, stream) => parts[stream].push(payload)).push(data);
  return {
    stdout: Buffer.concat(parts.stdout).toString('utf8'),
    stderr: Buffer.concat(parts.stderr).toString('utf8'),
  };
};
