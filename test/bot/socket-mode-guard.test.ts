import { describe, expect, it } from 'vitest';
import { socketMessageProblem } from '../../src/bot/slack/socket-guard.js';

describe('socketMessageProblem', () => {
  it.each([
    ['a hello', '{"type":"hello","num_connections":1}', undefined],
    ['a disconnect', '{"type":"disconnect","reason":"refresh_requested"}', undefined],
    [
      'a slash command',
      '{"envelope_id":"e","type":"slash_commands","payload":{"command":"/heckler"}}',
      undefined,
    ],
    [
      'an event',
      '{"envelope_id":"e","type":"events_api","payload":{"event":{"type":"app_home_opened"}}}',
      undefined,
    ],
    ['an unknown type (Bolt ignores it)', '{"envelope_id":"e","type":"flux","payload":{}}', undefined],
    ['text that is not JSON', '{"type":', 'not JSON'],
    ['null', 'null', 'not a JSON object'],
    ['a number', '42', 'not a JSON object'],
    ['a string', '"hello"', 'not a JSON object'],
    ['an array', '[{"type":"hello"}]', 'not a JSON object'],
    ['no type', '{"envelope_id":"e"}', 'no type'],
    ['a type that is not a string', '{"type":{"toString":1}}', 'no type'],
    [
      'an event without payload',
      '{"envelope_id":"e","type":"events_api"}',
      'an events_api envelope without its event',
    ],
    [
      'an event with a null payload',
      '{"type":"events_api","payload":null}',
      'an events_api envelope without its event',
    ],
    [
      'an event with a string event',
      '{"type":"events_api","payload":{"event":"x"}}',
      'an events_api envelope without its event',
    ],
  ])('%s', (_name, text, problem) => {
    expect(socketMessageProblem(text)).toBe(problem);
  });
});
