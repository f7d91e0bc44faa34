import { format } from 'node:util';
import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../../engine/ports/logger.js';

const rank: Record<LogLevel, number> = {
  [LogLevel.DEBUG]: 10,
  [LogLevel.INFO]: 20,
  [LogLevel.WARN]: 30,
  [LogLevel.ERROR]: 40,
};

/** Bolt's level closest to one of ours, so Bolt and the Web API client skip work pino would drop. */
export const boltLevel = (level: string): LogLevel => {
  if (level === 'trace' || level === 'debug') return LogLevel.DEBUG;
  if (level === 'info') return LogLevel.INFO;
  if (level === 'warn') return LogLevel.WARN;
  return LogLevel.ERROR;
};

/**
 * Socket Mode URLs carry a ticket that lets whoever holds it open the app's connection; the Web API
 * client logs apps.connections.open's answer at debug, so the ticket is masked before pino sees it.
 */
export const maskTickets = (text: string): string =>
  text.replace(/([?&]ticket=)[^&\s"'\\]+/g, '$1[redacted]');

/**
 * Bolt and @slack/web-api log through this into our structured logger (and so through its secret
 * masking) instead of writing to the console.
 */
export const boltLogger = (logger: Logger, initial: LogLevel): BoltLogger => {
  let level = initial;
  let log = logger.child({ component: 'slack' });
  const emit =
    (at: LogLevel, write: (obj: object, msg?: string) => void) =>
    (...parts: unknown[]) => {
      if (rank[at] < rank[level]) return;
      const err = parts.find((part) => part instanceof Error);
      write(err ? { err } : {}, maskTickets(format(...parts.filter((part) => part !== err)) || String(err)));
    };
  return {
    debug: emit(LogLevel.DEBUG, (obj, msg) => log.debug(obj, msg)),
    info: emit(LogLevel.INFO, (obj, msg) => log.info(obj, msg)),
    warn: emit(LogLevel.WARN, (obj, msg) => log.warn(obj, msg)),
    error: emit(LogLevel.ERROR, (obj, msg) => log.error(obj, msg)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: (name) => {
      log = logger.child({ component: name });
    },
  };
};
