/**
 * How validation messages name places and values: `stages[1].script[0]` and `a number (3)`. The
 * same wording for heckler.yml and ocelot.yml errors, so both read alike.
 */
export const keyPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (out, part) =>
      typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part),
    '',
  ) || '(top level)';

export const describeFound = (input: unknown): string => {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return input.length === 0 ? 'an empty list' : 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string' && input === '') return 'an empty string';
  const shown = JSON.stringify(input);
  const short = shown.length > 40 ? `${shown.slice(0, 37)}...` : shown;
  const kinds: Record<string, string> = { number: 'a number', string: 'a string', boolean: 'a boolean' };
  const kind = kinds[typeof input] ?? typeof input;
  return `${kind} (${short})`;
};

export const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A schema type as people say it: `a list`, `a mapping`, `true or false`. */
export const typeName = (type: string): string => {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping',
    record: 'a mapping',
  };
  return names[type] ?? type;
};
