import { join } from 'node:path';
import { openMirror } from '../adapters/git/mirror.js';
import { loadConfig, secretValues } from '../config/load.js';
import { errorText, isHecklerError } from '../engine/errors.js';
import type { Store } from '../engine/ports/store.js';
import { unescapeText } from '../engine/text/mrkdwn.js';
import { createLogger } from '../log.js';
import { createStorage, type Storage } from '../storage/keyv.js';
import { renderLine } from './checks.js';
import { createDoctor } from './compose.js';

/** A store that answers every operation with the error that kept it from opening. */
const unopened = (error: unknown): Store<number> => {
  const fail = async () => {
    throw error;
  };
  return {
    get: fail,
    set: fail,
    delete: fail,
    update: fail,
    increment: fail,
    entries: () => ({ [Symbol.asyncIterator]: () => ({ next: fail }) }),
  } as Store<number>;
};

/**
 * `heckler doctor`: reads the config as the bot would, checks everything it reaches, prints one
 * line per check and returns the exit status (0 when all passed, 1 otherwise). Changes nothing
 * but a short-lived store key (and, the first time, the mirror's clone, as the bot's start would).
 */
export const runDoctorCli = async (options: {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  defaultPath: string;
  out: NodeJS.WritableStream;
}): Promise<number> => {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ argv: options.argv, env: options.env, defaultPath: options.defaultPath });
  } catch (error) {
    const hint =
      isHecklerError(error) && error.hint ? unescapeText(error.hint) : 'fix heckler.yml and run doctor again';
    options.out.write(
      `${renderLine({ subject: 'config', check: 'valid', ok: false, found: errorText(error), advice: hint })}\n1 of 1 checks failed\n`,
    );
    return 1;
  }
  const secrets = secretValues(config.secrets);
  // Warnings and errors only, on stderr: the report is stdout.
  const logger = createLogger({ level: 'error', secrets, destination: process.stderr });
  let storage: Storage | undefined;
  let storeError: unknown;
  try {
    storage = await createStorage({
      dataDir: config.storage.dataDir,
      keyPrefix: config.storage.keyPrefix,
      logger,
      connectTimeoutMs: 5_000,
      ...(config.secrets.redisUrl ? { redisUrl: config.secrets.redisUrl } : {}),
    });
  } catch (error) {
    storeError = error;
  }
  let mirror: Awaited<ReturnType<typeof openMirror>> | undefined;
  const repo = config.repo;
  try {
    const doctor = createDoctor({
      config,
      store: storage ? storage.store<number>('doctor') : unopened(storeError),
      storeKind: config.secrets.redisUrl ? 'redis' : 'embedded',
      logger,
      ...(repo
        ? {
            repo: async () => {
              mirror ??= await openMirror({
                url: repo.url,
                dir: repo.mirrorDir ?? join(config.storage.dataDir, 'mirror'),
                track: { branch: repo.branch },
                logger,
                env: config.childEnv,
              });
              return mirror;
            },
          }
        : {}),
      secrets,
    });
    const { report, failed } = await doctor.run();
    options.out.write(`${report}\n`);
    return failed ? 1 : 0;
  } finally {
    mirror?.close();
    await storage?.close();
  }
};
