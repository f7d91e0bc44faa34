import { randomBytes } from 'node:crypto';
import { HecklerError, isHecklerError } from '../engine/errors.js';
import type { Message } from '../engine/ports/message.js';
import { type CommandOutcome, type Metrics, noMetrics } from '../engine/ports/metrics.js';
import { formatDuration } from '../engine/text/duration.js';
import { authorize, rolesOf } from './authorize.js';
import { describeError } from './describe-error.js';
import { createForms, type Forms } from './forms.js';
import { parseCommand } from './parse.js';
import { createRateLimiter } from './rate-limit.js';
import type { ChatRequest, CommandContext, Services } from './types.js';

export interface Dispatcher {
  /** Parse, authorize and run one request. Never throws: failures are answered to the user. */
  dispatch(request: ChatRequest): Promise<void>;
  /**
   * Parses and authorizes a request as `dispatch` would and runs its command's `check`, without
   * running it: what a form (a Slack modal) shows before it closes. The refusal, or undefined.
   * Optional so that stand-in dispatchers (tests, benches) need not have it.
   */
  check?(request: ChatRequest): Promise<Message | undefined>;
  /** The choices forms offer (revisions, node sets), for surfaces that draw them. */
  forms?: Forms;
}

export interface DispatcherOptions {
  /** Each request counted by command name and outcome. */
  metrics?: Metrics;
}

/** How a request ended, for the commands counter: a user's mistake is not a failure of the bot. */
export const outcomeOf = (error: unknown): CommandOutcome => {
  if (!isHecklerError(error)) return 'error';
  switch (error.code) {
    case 'USAGE':
    case 'UNKNOWN_COMMAND':
      return 'usage';
    case 'NOT_AUTHORIZED':
      return 'denied';
    case 'RATE_LIMITED':
      return 'rate_limited';
    default:
      return 'refused';
  }
};

/** Shared by every chat adapter, so a command behaves the same typed in Slack, clicked, or in the shell. */
export const createDispatcher = (services: Services, options: DispatcherOptions = {}): Dispatcher => {
  const { count, per } = services.config.limits.expensive;
  const expensive = createRateLimiter({ max: count, windowMs: per, clock: services.clock });
  const metrics = options.metrics ?? noMetrics;
  /** What a handler is given: the same for a check before a form closes and for the command itself. */
  const contextOf = (
    request: ChatRequest,
    roles: CommandContext['roles'],
    log: CommandContext['log'],
  ): CommandContext => ({
    user: request.user,
    origin: request.origin ?? { surface: 'slack' },
    roles,
    channel: request.channel,
    respond: request.respond,
    services,
    log,
    ...(request.source ? { source: request.source } : {}),
    ...(request.openForm ? { openForm: request.openForm } : {}),
  });
  return {
    forms: createForms(services),
    async check(request) {
      const log = services.logger.child({ user: request.user, channel: request.channel, check: true });
      const roles = rolesOf(request.user, services.config.roles);
      try {
        const parsed = parseCommand(request.text, services.commands);
        if (parsed.kind === 'error') throw parsed.error;
        if (parsed.kind === 'empty') return undefined;
        authorize(parsed.command, parsed.call, roles, services.config);
        await parsed.command.check?.(contextOf(request, roles, log), parsed.call);
        return undefined;
      } catch (error) {
        return describeError(error, log);
      }
    },
    async dispatch(request) {
      /** The registry's name once parsed; what the user typed never becomes a label. */
      let name = 'unknown';
      const cmdId = randomBytes(4).toString('hex');
      const log = services.logger.child({ cmdId, user: request.user, channel: request.channel });
      const roles = rolesOf(request.user, services.config.roles);
      const ctx = contextOf(request, roles, log);
      try {
        const parsed = parseCommand(request.text, services.commands);
        if (parsed.kind === 'error') throw parsed.error;
        const { command, call } =
          parsed.kind === 'empty'
            ? { command: services.commands.get('help'), call: { name: 'help', args: {}, flags: {} } }
            : parsed;
        if (!command) return;
        name = command.name;
        authorize(command, call, roles, services.config);
        const costly = typeof command.expensive === 'function' ? command.expensive(call) : command.expensive;
        if (costly) {
          const admitted = expensive.take(request.user);
          if (!admitted.ok)
            throw new HecklerError(
              'RATE_LIMITED',
              `\`${command.name}\` makes the fleet work, and you ran ${count} such commands in the last ${formatDuration(per)}`,
              { hint: `try again in ${formatDuration(Math.max(1000, admitted.retryInMs))}` },
            );
        }
        log.info(
          { command: call.name, args: call.args, flags: call.flags, click: Boolean(request.source) },
          'command',
        );
        await command.run(ctx, call);
        metrics.commandHandled(name, 'ok');
      } catch (error) {
        metrics.commandHandled(name, outcomeOf(error));
        log.info({ code: (error as { code?: string }).code }, 'command refused or failed');
        try {
          await request.respond(describeError(error, log));
        } catch (respondError) {
          log.error({ err: respondError }, 'could not answer the user');
        }
      }
    },
  };
};
