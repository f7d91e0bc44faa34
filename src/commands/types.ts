import type { Config, Role } from '../config/schema.js';
import type { Doctor } from '../doctor/compose.js';
import type { ApplyService } from '../engine/apply/service.js';
import type { BuildService } from '../engine/builds/service.js';
import type { HomeService } from '../engine/home/service.js';
import type { IgnoreService } from '../engine/ignores/service.js';
import type { NodeLocks } from '../engine/locks/node-locks.js';
import type { PermadiffService } from '../engine/permadiffs/service.js';
import type { Chat, Clock, CodeRepo, Logger, Message, MessageRef } from '../engine/ports/index.js';
import type { ReviewService } from '../engine/review/service.js';
import type { FleetService } from '../engine/runs/fleet-service.js';
import type { FormName } from './forms.js';

export type { Role };
/** The role a command needs; 'anyone' for read-only commands everybody may run. */
export type RoleNeeded = Role | 'anyone';

export interface ArgSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Takes every remaining word (e.g. a reason). Only the last argument may. */
  rest?: boolean;
  /** Checked before the handler runs; values reach shells only after passing it. */
  pattern?: RegExp;
  /** What `pattern` accepts, in words, for the usage error. */
  patternHint?: string;
}

export interface FlagSpec {
  name: string;
  description: string;
  /** Placeholder of the value (`--for DURATION`); absent for a boolean switch. */
  value?: string;
  pattern?: RegExp;
  patternHint?: string;
  /** Only users with this role may pass the flag (e.g. `--force` for admins). */
  role?: Role;
}

export interface CommandCall {
  name: string;
  args: Readonly<Record<string, string | undefined>>;
  flags: Readonly<Record<string, string | true | undefined>>;
}

/** What every handler may use. One options object, built once in the composition root. */
export interface Services {
  chat: Chat;
  config: Config;
  commands: CommandRegistry;
  clock: Clock;
  logger: Logger;
  version: string;
  nodeLocks: NodeLocks;
  /** Delta noops and approvals; absent when heckler.yml configures no `repo`. */
  reviews?: ReviewService;
  /** The Puppet half; absent when heckler.yml configures no `repo`. */
  fleet?: FleetService;
  /** The Puppet repository's mirror (forms suggest its revisions); absent when heckler.yml configures no `repo`. */
  repo?: CodeRepo;
  /** Ignores made from chat; absent: those of `reviews`, if any. */
  ignores?: IgnoreService;
  /** Applies (plans, confirm, rollout) and status; absent when heckler.yml configures no `repo`. */
  applies?: ApplyService;
  /** The permadiff scan and its stored state; absent when heckler.yml configures no `repo`. */
  permadiffs?: PermadiffService;
  /** The CI half; absent when no repository is watched. */
  builds?: BuildService;
  /** `doctor` from chat: the same checks as the CLI, over the running bot's store and transport. */
  doctor?: Doctor;
  /** The per-user dashboard (`/heckler home`, the App Home tab). */
  home?: HomeService;
}

/**
 * Where a request came from, for the audit log: a Slack user is who Slack says; a terminal user is
 * the operating-system account that ran the shell (and the chat user it is mapped to).
 */
export type Origin = { surface: 'slack' } | { surface: 'terminal'; osUser: string };

export interface CommandContext {
  user: string;
  origin: Origin;
  roles: ReadonlySet<Role>;
  channel: string;
  /** The message whose button was clicked, when the command came from a click. */
  source?: MessageRef;
  /** Answer only the asking user (Slack: ephemeral via response_url; shell: printed). */
  respond(message: Message): Promise<void>;
  /** Opens a form for the asking user (Slack: a modal; the shell: prompts), where the surface can. */
  openForm?(form: FormName): Promise<void>;
  services: Services;
  log: Logger;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Longer help shown by `help <name>`. */
  description?: string;
  args: readonly ArgSpec[];
  flags: readonly FlagSpec[];
  role: RoleNeeded;
  /** Changes the fleet, builds or stored state (as opposed to only reading). */
  sideEffects: boolean;
  /**
   * Read-only but costly: it makes every node (or many) work. Such commands share a per-user
   * allowance (config `limits.expensive`), so one person or a stuck script cannot keep the fleet busy.
   */
  expensive?: boolean | ((call: CommandCall) => boolean);
  /** Full command lines without the `/heckler` prefix. */
  examples: readonly string[];
  run(ctx: CommandContext, call: CommandCall): Promise<void>;
  /**
   * Quick checks of what `run` would refuse (an unknown revision), made before a form closes:
   * Slack shows a modal's errors only in the answer to its submission, within 3 s.
   */
  check?(ctx: CommandContext, call: CommandCall): Promise<void>;
}

export interface CommandRegistry {
  get(name: string): CommandSpec | undefined;
  all(): readonly CommandSpec[];
}

/** One incoming command from any chat surface: typed text or a clicked button's command. */
export interface ChatRequest {
  text: string;
  user: string;
  /** Default `{ surface: 'slack' }`. */
  origin?: Origin;
  channel: string;
  source?: MessageRef;
  respond(message: Message): Promise<void>;
  /** Present when the surface can open a form for this request (a Slack trigger_id, the shell). */
  openForm?(form: FormName): Promise<void>;
}
