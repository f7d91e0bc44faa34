import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';

/** A real pino logger whose JSON lines are kept in memory. */
export const captureLogger = (secrets: readonly (string | undefined)[] = [], level = 'debug') => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createLogger({ level, secrets, destination });
  return { logger, lines, text: () => lines.join('\n') };
};
