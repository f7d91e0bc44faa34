import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { FileLog } from './file-log.js';

/** Same separator as @keyv/redis, so both backends lay keys out alike. */
const separator = '::';

/**
 * A keyv storage adapter over a FileLog. Keyv writes its namespace into the adapter it is given,
 * so every Keyv instance needs its own adapter; they all share the one FileLog. Like the log, it
 * serves one process only.
 */
export class KeyvFileStore extends EventEmitter implements KeyvStoreAdapter {
  namespace: string | undefined;
  /** keyv reads `opts.url` when deciding whether to build its own iterator; it must be a string. */
  readonly opts: { dialect: 'file'; url: string };
  readonly #log: FileLog;

  constructor(log: FileLog, options: { namespace?: string } = {}) {
    super();
    this.#log = log;
    this.namespace = options.namespace;
    this.opts = { dialect: 'file', url: `file://${log.path}` };
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.#log.get(this.#prefixed(key)) as StoredData<Value> | undefined;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    return keys.map((key) => this.#log.get(this.#prefixed(key)) as StoredData<Value | undefined>);
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    this.#log.set(this.#prefixed(key), value, ttl);
    return true;
  }

  async has(key: string): Promise<boolean> {
    return this.#log.get(this.#prefixed(key)) !== undefined;
  }

  async delete(key: string): Promise<boolean> {
    return this.#log.delete(this.#prefixed(key));
  }

  /** True when any key was deleted, as @keyv/redis answers. */
  async deleteMany(keys: string[]): Promise<boolean> {
    return keys.map((key) => this.#log.delete(this.#prefixed(key))).some(Boolean);
  }

  async clear(): Promise<void> {
    for (const key of this.#ownKeys(this.namespace)) this.#log.delete(key);
  }

  /** Yields [key without namespace, stored value], like @keyv/redis. */
  async *iterator<Value>(
    namespace?: string,
  ): AsyncGenerator<Array<string | Awaited<Value> | undefined>, void> {
    const prefix = namespace ? `${namespace}${separator}` : '';
    for (const key of this.#ownKeys(namespace)) {
      const value = this.#log.get(key);
      if (value !== undefined) yield [key.slice(prefix.length), value as Awaited<Value>];
    }
  }

  /** The serialized value at `key` (namespace added), as `swap` compares it. */
  read(key: string): string | undefined {
    const value = this.#log.get(this.#prefixed(key));
    return typeof value === 'string' ? value : undefined;
  }

  /**
   * Stores `next` if the serialized value is still `expected` (undefined: absent). One process
   * owns the log and this runs without awaiting between the check and the write, so it is atomic.
   */
  swap(key: string, expected: string | undefined, next: string, ttlMs: number | 'keep' | undefined): boolean {
    if (this.read(key) !== expected) return false;
    this.#log.set(this.#prefixed(key), next, ttlMs);
    return true;
  }

  /** The FileLog belongs to whoever opened it; closing one namespace must not close the others. */
  async disconnect(): Promise<void> {}

  #prefixed(key: string): string {
    return this.namespace ? `${this.namespace}${separator}${key}` : key;
  }

  #ownKeys(namespace: string | undefined): string[] {
    const keys = this.#log.keys();
    if (!namespace) return keys.filter((key) => !key.includes(separator));
    const prefix = `${namespace}${separator}`;
    return keys.filter((key) => key.startsWith(prefix));
  }
}
