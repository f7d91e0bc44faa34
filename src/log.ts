import { type DestinationStream, pino } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from './engine/ports/index.js';

export interface LoggerOptions {
  level: string;
  /** Secret values (tokens, URLs with passwords) masked wherever they appear in a log line. */
  secrets: readonly (string | undefined)[];
  /** Where lines go; stdout by default. Tests pass a capturing stream. */
  destination?: DestinationStream;
  /** Human-readable lines (on a TTY) instead of JSON. */
  pretty?: boolean;
}

export const REDACTED = '[redacted]';

/** Field names that carry credentials, wherever they sit in a logged object. */
const secretFields = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'password',
  'secret',
  'authorization',
  'secrets',
];
const redactPaths = secretFields
  .flatMap((field) => [field, `*.${field}`, `*.*.${field}`])
  .concat(['headers.authorization', '*.headers.authorization']);

/**
 * pino with two layers against leaks: field-name redaction for structured data, and a last pass
 * over every serialized line that masks the configured secret values themselves, so a token
 * inside an error message or URL is caught too.
 */
export const createLogger = (options: LoggerOptions): Logger & { flush(): void } => {
  const values = options.secrets.filter((s): s is string => typeof s === 'string' && s.length >= 6);
  // A URL's password leaks on its own too (a client logging host and credentials but not the path).
  const secrets = [
    ...values,
    ...values.map(urlPassword).filter((p): p is string => p !== undefined && p.length >= 4),
  ];
  const needles = secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)]);
  const mask = (line: string) => needles.reduce((out, needle) => out.split(needle).join(REDACTED), line);
  const destination =
    options.destination ??
    (options.pretty ? pretty({ sync: true, colorize: true }) : pino.destination({ sync: true }));
  const logger = pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: redactPaths, censor: REDACTED },
      hooks: { streamWrite: mask },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return logger as unknown as Logger & { flush(): void };
};

const urlPassword = (value: string): string | undefined => {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  try {
    return decodeURIComponent(new URL(value).password) || undefined;
  } catch {
    return undefined;
  }
};
