import type { RawSwap, TtlChoice } from './atomic.js';

/** The slice of @redis/client the atomic operations use. */
export interface SwapClient {
  get(key: string): Promise<string | null>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

// Compare and write in one step on the server: a GET then SET from here would let another
// replica's write land in between and be lost.
const swapScript = `
local raw = redis.call('GET', KEYS[1])
if ARGV[1] == 'absent' then
  if raw then return 0 end
elseif raw ~= ARGV[2] then return 0 end
if ARGV[4] == 'keep' then redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
elseif ARGV[4] == 'none' then redis.call('SET', KEYS[1], ARGV[3])
else redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) end
return 1`;

// keyv stores a number as {"value":N} (plus "expires" when it has a ttl); this writes the same
// shape, so keyv's `get` reads the counter and a counter written by keyv's `set` counts on.
const incrementScript = `
local raw = redis.call('GET', KEYS[1])
local n = 0
local expires = nil
if raw then
  local ok, data = pcall(cjson.decode, raw)
  if not ok or type(data) ~= 'table' or type(data.value) ~= 'number' then
    return redis.error_reply('not a counter: ' .. KEYS[1])
  end
  n = data.value
  if type(data.expires) == 'number' then expires = data.expires end
end
n = n + 1
local text = '{"value":' .. string.format('%d', n)
if expires then text = text .. ',"expires":' .. string.format('%d', expires) end
redis.call('SET', KEYS[1], text .. '}', 'KEEPTTL')
return n`;

const ttlArgument = (ttl: TtlChoice) => (ttl === undefined ? 'none' : String(ttl));

/** Atomic operations on one namespace's keys (`keyOf` adds the namespace as @keyv/redis does). */
export const redisSwap = (client: SwapClient, keyOf: (id: string) => string): RawSwap => ({
  read: async (id) => (await client.get(keyOf(id))) ?? undefined,
  swap: async (id, expected, next, ttl) =>
    (await client.eval(swapScript, {
      keys: [keyOf(id)],
      arguments: [expected === undefined ? 'absent' : 'present', expected ?? '', next, ttlArgument(ttl)],
    })) === 1,
  increment: async (id) => Number(await client.eval(incrementScript, { keys: [keyOf(id)], arguments: [] })),
});
