import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createBreeScheduler } from './adapters/schedule/bree.js';
import { createLeaderScheduler } from './adapters/schedule/leader.js';
import { ShellChat } from './bot/shell/chat.js';
import { currentOsUser, resolveShellIdentity } from './bot/shell/identity.js';
import { runShellSession } from './bot/shell/session.js';
import { createSlackAdapter } from './bot/slack/app.js';
import { createDispatcher, createRegistry } from './commands/index.js';
import type { Services } from './commands/types.js';
import { composeBuilds } from './compose/builds.js';
import { composeFleet } from './compose/fleet.js';
import { loadConfig, secretValues } from './config/load.js';
import type { Config } from './config/schema.js';
import { DEMO_NODES } from './demo/config.js';
import { puppetMissingNotice } from './demo/preflight.js';
import { prepareDemo } from './demo/repo.js';
import { isHecklerError } from './engine/errors.js';
import { createNodeLocks } from './engine/locks/node-locks.js';
import { systemClock } from './engine/ports/index.js';
import { createLogger } from './log.js';
import { createStorage } from './storage/keyv.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** The composition root: the one place that knows every adapter. */
const main = async (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<'serving' | 'done'> => {
  const defaultPath = existsSync('heckler.yml') ? 'heckler.yml' : join(root, 'examples', 'heckler.yml');
  const config = loadConfig({ argv, env, defaultPath });
  // Before anything starts: a terminal whose OS user maps to no chat user does not start at all.
  const identity = config.mode === 'shell' ? resolveShellIdentity(config, currentOsUser()) : undefined;
  const logger = createLogger({
    level: config.log.level,
    secrets: secretValues(config.secrets),
    ...(config.mode === 'shell' ? { destination: shellLogFile(config) } : { pretty: process.stdout.isTTY }),
  });
  const storage = await createStorage({
    dataDir: config.storage.dataDir,
    keyPrefix: config.storage.keyPrefix,
    logger,
    ...(config.secrets.redisUrl ? { redisUrl: config.secrets.redisUrl } : {}),
  });
  const slack =
    config.mode === 'slack'
      ? createSlackAdapter({ config, locks: storage.locks, logger, host: config.slack.host })
      : undefined;
  const shellChat = slack ? undefined : new ShellChat(process.stdout, config.users);
  const chat = slack?.chat ?? shellChat;
  if (!chat) throw new Error('no chat adapter');
  // The demo's repository and node folders exist before the mirror clones the one and nodes use the others.
  const demo = config.demo ? await prepareDemo(config.demo.dir) : undefined;
  if (demo) logger.info({ ...demo, dir: config.demo?.dir }, 'demo ready');
  const puppetMissing = puppetMissingNotice(config);
  if (puppetMissing) logger.warn({}, puppetMissing);
  // One scheduler for the fleet and the builds, so one lease decides which bot on a shared Redis runs them all.
  const scheduler = createLeaderScheduler(createBreeScheduler({ logger }), {
    locks: storage.locks,
    ttlMs: config.schedule.leaseTtl,
    clock: systemClock,
    logger,
  });
  const fleet = await composeFleet({
    config,
    storage,
    logger,
    clock: systemClock,
    chat,
    schedule: true,
    scheduler,
  });
  const builds = await composeBuilds({ config, storage, chat, logger, clock: systemClock, scheduler });
  const services: Services = {
    chat,
    config,
    commands: createRegistry(),
    clock: systemClock,
    logger,
    version,
    nodeLocks: createNodeLocks(storage.locks, systemClock),
    ...(fleet
      ? { fleet: fleet.service, reviews: fleet.reviews, applies: fleet.applies, permadiffs: fleet.permadiffs }
      : {}),
    ...(builds ? { builds: builds.service } : {}),
  };
  const dispatcher = createDispatcher(services);

  /**
   * SIGTERM / SIGINT in either mode: no new work; node applies already running get
   * `apply.shutdownGrace` to finish, then records, locks and messages are settled.
   */
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await fleet?.applies.shutdown();
      await slack?.stop();
      await fleet?.close();
      await builds?.close();
      // Stopped by the fleet or the builds already when either exists (stop is shared); the lease is released.
      await scheduler.stop();
      await storage.close();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  if (slack) {
    const { port } = await slack.start(dispatcher);
    logger.info(
      { port, socketMode: Boolean(config.secrets.slackAppToken), store: storage.kind },
      'heckler is listening',
    );
    return 'serving';
  }
  if (!shellChat || !identity) return 'done';
  if (
    !argv.includes('--config') &&
    !env.HECKLER_CONFIG &&
    defaultPath.endsWith(join('examples', 'heckler.yml'))
  ) {
    process.stdout.write(
      `(no heckler.yml here: using the demo config ${defaultPath}; logs go to ${config.storage.dataDir}/heckler.log)\n`,
    );
  }
  if (demo && config.demo) {
    const created = demo.createdRepo ? ' (created just now: three commits, tags v1 and v2)' : '';
    process.stdout.write(
      `(demo: Puppet repository ${demo.repo}${created}; nodes ${DEMO_NODES.join(', ')} run here, in ${config.demo.dir}/nodes. Try /heckler nodes, then /heckler noop v2)\n`,
    );
  }
  if (puppetMissing) process.stdout.write(`${puppetMissing}\n`);
  await runShellSession({
    input: process.stdin,
    output: process.stdout,
    interactive: Boolean(process.stdin.isTTY),
    chat: shellChat,
    dispatcher,
    channel: config.chat.channel,
    users: config.users,
    identity,
  });
  // The session is over, but an apply it started finishes (Ctrl-C stops it between nodes).
  const running = fleet?.applies.running() ?? [];
  if (running.length > 0) {
    process.stdout.write(
      `waiting for apply ${running.map((id) => `#${id}`).join(', ')} to finish (Ctrl-C stops it between nodes)\n`,
    );
    await fleet?.applies.idle();
  }
  if (stopping) return 'serving';
  await fleet?.close();
  await builds?.close();
  await scheduler.stop();
  await storage.close();
  return 'done';
};

/** In the shell the terminal is the conversation, so logs go to a file in the data directory. */
const shellLogFile = (config: Config) =>
  pino.destination({
    dest: join(config.storage.dataDir, 'heckler.log'),
    sync: true,
    append: true,
    mkdir: true,
  });

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
