import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeApp } from './compose/app.js';
import { loadConfig } from './config/load.js';
import { runDoctorCli } from './doctor/cli.js';
import { isHecklerError } from './engine/errors.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The process around the bot: arguments and environment in, signals, exit codes and the one line
 * that says why the bot could not start. Everything else is composed in src/compose/app.ts.
 */
const main = async (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<'serving' | 'done'> => {
  const defaultPath = existsSync('heckler.yml') ? 'heckler.yml' : join(root, 'examples', 'heckler.yml');
  // `heckler doctor`: check everything the bot reaches, one line each; the status says whether all passed.
  if (argv[0] === 'doctor')
    process.exit(await runDoctorCli({ argv: argv.slice(1), env, defaultPath, out: process.stdout }));
  const config = loadConfig({ argv, env, defaultPath });
  const usingExample =
    !argv.some((arg) => arg === '--config' || arg.startsWith('--config=')) &&
    !env.HECKLER_CONFIG &&
    defaultPath.endsWith(join('examples', 'heckler.yml'));
  const notices = usingExample
    ? [
        `(no heckler.yml here: using the demo config ${defaultPath}; logs go to ${config.storage.dataDir}/heckler.log)`,
      ]
    : [];
  const app = await composeApp(config, { shell: { notices } });

  /**
   * SIGTERM / SIGINT in either mode: no new work; node applies already running get
   * `apply.shutdownGrace` to finish, then records, locks and messages are settled.
   */
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    try {
      await app.stop();
    } catch (error) {
      app.logger.error({ err: error }, 'shutdown failed');
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  try {
    await app.start();
  } catch (error) {
    // Nothing is served: close what was opened, then say why (below) and exit.
    await app.close().catch(() => undefined);
    throw error;
  }
  if (app.surface.kind !== 'shell') return 'serving';
  await app.surface.ended;
  // The session is over, but an apply it started finishes (Ctrl-C stops it between nodes).
  const running = app.fleet?.applies.running() ?? [];
  if (running.length > 0) {
    process.stdout.write(
      `waiting for apply ${running.map((id) => `#${id}`).join(', ')} to finish (Ctrl-C stops it between nodes)\n`,
    );
    await app.fleet?.applies.idle();
  }
  if (stopping) return 'serving';
  await app.close();
  return 'done';
};

main(process.argv.slice(2), process.env).then(
  (state) => {
    // The shell session is over; do not wait for idle sockets or timers to drain.
    if (state === 'done') process.exit(0);
  },
  (error: unknown) => {
    if (isHecklerError(error)) {
      process.stderr.write(`heckler: ${error.message}\n${error.hint ? `${error.hint}\n` : ''}`);
      process.exit(error.code === 'CONFIG_INVALID' ? 2 : 1);
    }
    process.stderr.write(
      `heckler: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
