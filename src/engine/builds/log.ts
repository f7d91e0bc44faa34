import { StringDecoder } from 'node:string_decoder';
import { HecklerError } from '../errors.js';
import type { OutputStream } from '../ports/containers.js';
import type { Store } from '../ports/store.js';
import { escapeText } from '../text/mrkdwn.js';
import type { BuildRecord } from './records.js';

export const MASK = '[masked]';

/** Secret values shorter than this would mask ordinary words and numbers, so they are not masked. */
const minSecretLength = 4;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Masks secret values in a stream of text that arrives in arbitrary chunks. Up to (longest
 * secret − 1) characters are held back, because a secret can be split across two chunks; a
 * complete match is never split, so everything else is passed on at once.
 */
export class StreamMasker {
  readonly #pattern: RegExp | undefined;
  readonly #holdBack: number;
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';

  constructor(secrets: readonly string[]) {
    const values = [...new Set(secrets.filter((s) => s.length >= minSecretLength))];
    // Longest first, so a secret that contains another is masked whole.
    values.sort((a, b) => b.length - a.length);
    this.#pattern = values.length > 0 ? new RegExp(values.map(escapeRegExp).join('|'), 'g') : undefined;
    this.#holdBack = Math.max(0, (values[0]?.length ?? 0) - 1);
  }

  /** Masked text that is safe to pass on now. */
  push(chunk: Buffer): string {
    this.#pending += this.#decoder.write(chunk);
    if (!this.#pattern) return this.#take(this.#pending.length);
    let cut = Math.max(0, this.#pending.length - this.#holdBack);
    for (const match of this.#pending.matchAll(this.#pattern)) {
      const end = match.index + match[0].length;
      if (match.index < cut && end > cut) cut = end;
    }
    return this.#take(cut);
  }

  /** Everything still held back, masked. */
  end(): string {
    this.#pending += this.#decoder.end();
    return this.#take(this.#pending.length);
  }

  mask(text: string): string {
    return this.#pattern ? text.replace(this.#pattern, MASK) : text;
  }

  #take(cut: number): string {
    const out = this.#pending.slice(0, cut);
    this.#pending = this.#pending.slice(cut);
    return this.mask(out);
  }
}

export interface LogLimits {
  /** Bytes of output kept per build, over all its stages. */
  maxBytes: number;
  /** Past the cap, each stage still keeps its last this many bytes: failures show at the end. */
  tailBytes: number;
}

export const truncationMarker = (dropped: number): string => `[log truncated: ${dropped} bytes dropped]`;

/**
 * One build's output. Each stage writes through its own masker; the byte budget is shared, and
 * what does not fit is dropped from the middle of a stage with a visible marker.
 */
export class BuildLogCapture {
  #budget: number;
  readonly #limits: LogLimits;
  readonly #secrets: readonly string[];

  constructor(limits: LogLimits, secrets: readonly string[]) {
    this.#limits = limits;
    this.#budget = limits.maxBytes;
    this.#secrets = secrets;
  }

  stage(): StageCapture {
    const maskers = { stdout: new StreamMasker(this.#secrets), stderr: new StreamMasker(this.#secrets) };
    let head = '';
    let tail = Buffer.alloc(0);
    let dropped = 0;
    const append = (text: string): void => {
      if (text === '') return;
      const bytes = Buffer.from(text, 'utf8');
      const fits = Math.min(this.#budget, bytes.length);
      this.#budget -= fits;
      head += bytes.subarray(0, fits).toString('utf8');
      if (fits === bytes.length) return;
      tail = Buffer.concat([tail, bytes.subarray(fits)]);
      const excess = tail.length - this.#limits.tailBytes;
      if (excess > 0) {
        dropped += excess;
        tail = tail.subarray(excess);
      }
    };
    return {
      write: (chunk, stream) => append(maskers[stream].push(chunk)),
      finish: () => {
        append(maskers.stdout.end());
        append(maskers.stderr.end());
        if (dropped === 0) return head + tail.toString('utf8');
        const gap = head === '' || head.endsWith('\n') ? '' : '\n';
        return `${head}${gap}${truncationMarker(dropped)}\n${tail.toString('utf8')}`;
      },
    };
  }

  /** For text that is not output, such as error messages recorded on the build. */
  mask(text: string): string {
    return new StreamMasker(this.#secrets).mask(text);
  }
}

export interface StageCapture {
  write(chunk: Buffer, stream: OutputStream): void;
  /** The stage's stored log text; call once, after the stage ends. */
  finish(): string;
}

export interface StageLog {
  build: number;
  key: string;
  text: string;
}

/**
 * Logs stored per stage, under `<build id>/<stage key>`, in the `build-logs` namespace the build
 * service asks its storage for: a keyv namespace with Redis; with the embedded store, files beside
 * it (`<dataDir>/build-logs/<build>.log`, storage/log-files.ts, wired in compose/builds.ts), so the
 * store's own log, replayed at every start, does not carry megabytes of output.
 */
export interface BuildLogs {
  save(build: number, key: string, text: string): Promise<void>;
  /** One stage's log, or undefined when the stage produced none (not run, skipped). */
  read(build: number, key: string): Promise<string | undefined>;
}

export const createBuildLogs = (store: Store<StageLog>, ttlMs?: number): BuildLogs => ({
  save: (build, key, text) => store.set(`${build}/${key}`, { build, key, text }, ttlMs),
  read: async (build, key) => (await store.get(`${build}/${key}`))?.text,
});

/**
 * What `/heckler logs ID [--stage S]` shows: every stage that ran (or the one asked for, by key
 * such as `build#2`), each under a `== key (status) ==` line. NOT_FOUND names the stages there are.
 */
export const buildLogText = async (
  logs: BuildLogs,
  build: Pick<BuildRecord, 'id' | 'stages'>,
  stageKey?: string,
): Promise<string> => {
  const rows = stageKey === undefined ? build.stages : build.stages.filter((row) => row.key === stageKey);
  if (rows.length === 0) {
    const keys = build.stages.map((row) => row.key).join(', ');
    throw new HecklerError(
      'NOT_FOUND',
      escapeText(`build ${build.id} has no stage '${stageKey}'; its stages are ${keys}`),
    );
  }
  const parts: string[] = [];
  for (const row of rows) {
    const text = await logs.read(build.id, row.key);
    const body = text === undefined ? `(no output: ${row.reason ?? row.status})\n` : text;
    parts.push(`== ${row.key} (${row.status}) ==\n${body}${body.endsWith('\n') || body === '' ? '' : '\n'}`);
  }
  return parts.join('');
};
