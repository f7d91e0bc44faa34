import { HecklerError } from '../engine/errors.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import { didYouMean } from '../engine/text/suggest.js';
import type { CommandCall, CommandRegistry, CommandSpec } from './types.js';
import { SLASH, usageLine } from './usage.js';

/** Longer than any legitimate command; Slack caps slash command text near here too. */
export const MAX_COMMAND_LENGTH = 4000;

export type ParseResult =
  | { kind: 'call'; command: CommandSpec; call: CommandCall }
  | { kind: 'error'; error: HecklerError }
  | { kind: 'empty' };

/** `message` is literal text (it quotes what was typed): escaped here, once. */
const usage = (message: string, spec?: CommandSpec): ParseResult => ({
  kind: 'error',
  error: new HecklerError('USAGE', escapeText(message), {
    hint: spec
      ? `usage: \`${usageLine(spec)}\` (see \`${SLASH} help ${spec.name}\`)`
      : `see \`${SLASH} help\``,
  }),
});

/**
 * Splits on white space with '…' and "…" quoting (Slack's curly quotes too). Returns an error
 * string for an unterminated quote instead of guessing what was meant.
 */
export const tokenize = (text: string): string[] | string => {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quote: string | undefined;
  const closing: Record<string, string> = { '"': '"', "'": "'", '“': '”', '‘': '’', '”': '”', '’': '’' };
  for (const char of text) {
    if (quote !== undefined) {
      if (char === closing[quote]) quote = undefined;
      else current += char;
    } else if (/\s/u.test(char)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else if (char in closing) {
      quote = char;
      inToken = true;
    } else {
      current += char;
      inToken = true;
    }
  }
  if (quote !== undefined) return `unterminated quote (${quote}) in the command`;
  if (inToken) tokens.push(current);
  return tokens;
};

/** Parses `/heckler verb args --flags` (the prefix is optional) against the registry. */
export const parseCommand = (text: string, registry: CommandRegistry): ParseResult => {
  if (text.length > MAX_COMMAND_LENGTH) {
    return usage(`command is too long (${text.length} characters; the limit is ${MAX_COMMAND_LENGTH})`);
  }
  const tokens = tokenize(text.trim());
  if (typeof tokens === 'string') return usage(tokens);
  if (tokens[0] === SLASH || tokens[0] === SLASH.slice(1)) tokens.shift();
  const [verb, ...rest] = tokens;
  if (verb === undefined) return { kind: 'empty' };
  const command = registry.get(verb.toLowerCase());
  if (!command) {
    const names = registry.all().map((c) => c.name);
    return {
      kind: 'error',
      error: new HecklerError(
        'UNKNOWN_COMMAND',
        escapeText(`unknown command '${clip(verb)}'${didYouMean(verb, names)}`),
        {
          hint: `\`${SLASH} help\` lists the commands you may run`,
        },
      ),
    };
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const help = registry.get('help');
    if (help)
      return {
        kind: 'call',
        command: help,
        call: { name: 'help', args: { command: command.name }, flags: {} },
      };
  }
  return bindArguments(command, rest);
};

const bindArguments = (spec: CommandSpec, words: readonly string[]): ParseResult => {
  const flags: Record<string, string | true> = {};
  const positional: string[] = [];
  let flagsEnded = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (flagsEnded || !word.startsWith('--') || word === '--') {
      if (word === '--' && !flagsEnded) flagsEnded = true;
      else positional.push(word);
      continue;
    }
    const [rawName = '', inlineValue] = splitOnce(word.slice(2), '=');
    const flag = spec.flags.find((f) => f.name === rawName);
    if (!flag) {
      const known = spec.flags.map((f) => f.name);
      const hint = known.length === 0 ? `; \`${spec.name}\` takes no flags` : didYouMean(rawName, known);
      return usage(`unknown flag --${clip(rawName)}${hint}`, spec);
    }
    if (flag.name in flags) return usage(`--${flag.name} is given twice`, spec);
    if (!flag.value) {
      if (inlineValue !== undefined) return usage(`--${flag.name} is a switch and takes no value`, spec);
      flags[flag.name] = true;
      continue;
    }
    const value = inlineValue ?? words[++i];
    if (value === undefined || value === '')
      return usage(`--${flag.name} needs a value (${flag.value})`, spec);
    if (flag.pattern && !flag.pattern.test(value)) {
      return usage(
        `'${clip(value)}' is not a valid ${flag.value} for --${flag.name}: expected ${flag.patternHint ?? flag.pattern}`,
        spec,
      );
    }
    flags[flag.name] = value;
  }
  const args: Record<string, string> = {};
  for (const [index, arg] of spec.args.entries()) {
    const value = arg.rest ? positional.slice(index).join(' ') : positional[index];
    if (value === undefined || value === '') {
      if (arg.required) return usage(`missing ${arg.name}: ${arg.description}`, spec);
      continue;
    }
    if (arg.pattern && !arg.pattern.test(value)) {
      return usage(
        `'${clip(value)}' is not a valid ${arg.name}: expected ${arg.patternHint ?? arg.pattern}`,
        spec,
      );
    }
    args[arg.name] = value;
  }
  const takesRest = spec.args.some((arg) => arg.rest);
  if (!takesRest && positional.length > spec.args.length) {
    const extra = clip(positional.slice(spec.args.length).join(' '), 60);
    return usage(
      `unexpected ${positional.length - spec.args.length === 1 ? 'word' : 'words'}: ${extra}`,
      spec,
    );
  }
  return { kind: 'call', command: spec, call: { name: spec.name, args, flags } };
};

const splitOnce = (text: string, separator: string): [string, string | undefined] => {
  const index = text.indexOf(separator);
  return index < 0 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
};

/** Echoed input stays short and on one line, whatever was typed. */
const clip = (text: string, max = 40): string => {
  const flat = text.replace(/[\u0000-\u001f\u007f`]/g, '?');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
};
