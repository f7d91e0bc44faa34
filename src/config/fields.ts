import { z } from 'zod';
import { parseDuration } from '../engine/text/duration.js';

/** A duration written as `30s`, `10m`, `2h`, `7d`, held as milliseconds. */
export const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms === 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected a duration such as 30s, 10m, 2h or 7d',
          input: text,
        });
        return z.NEVER;
      }
      return ms;
    });

/** Node and set names reach shell command lines and store keys: keep them boring. */
export const nodeName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{0,62}$/, 'a node name: lowercase letters, digits, dots, dashes');

/** The name of an environment variable holding a secret (the secret itself never sits in the file). */
export const envVarName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as REGISTRY_PASSWORD');
