import type { CommandSpec } from './types.js';

export const SLASH = '/heckler';

/** `/heckler apply REV [--set NAME] [--force]`, generated from the declaration. */
export const usageLine = (spec: CommandSpec): string => {
  const args = spec.args.map((arg) => {
    const word = arg.rest ? `${arg.name}...` : arg.name;
    return arg.required ? word : `[${word}]`;
  });
  const flags = spec.flags.map((flag) => `[--${flag.name}${flag.value ? ` ${flag.value}` : ''}]`);
  return [SLASH, spec.name, ...args, ...flags].join(' ');
};
