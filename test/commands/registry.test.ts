import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allCommands, createRegistry } from '../../src/commands/index.js';
import { parseCommand } from '../../src/commands/parse.js';
import { SLASH } from '../../src/commands/usage.js';
import { testConfig } from '../support/config.js';
import { applyLike } from './grammar.js';

const registry = createRegistry();

describe('every command declaration is complete', () => {
  it.each(allCommands.map((c) => [c.name, c] as const))('%s', (name, spec) => {
    expect(name).toMatch(/^[a-z][a-z-]*$/);
    expect(spec.summary.length).toBeGreaterThan(10);
    expect(spec.examples.length).toBeGreaterThan(0);
    expect(['anyone', 'admin', 'applier', 'approver', 'builder']).toContain(spec.role);
    expect(typeof spec.sideEffects).toBe('boolean');
    for (const arg of spec.args) expect(arg.description.length).toBeGreaterThan(3);
    for (const flag of spec.flags) expect(flag.description.length).toBeGreaterThan(3);
    // Only the last argument may take the rest of the line.
    expect(spec.args.slice(0, -1).some((arg) => arg.rest)).toBe(false);
    // Every example in the help parses as a call of this very command.
    for (const example of spec.examples) {
      const parsed = parseCommand(example, registry);
      expect(parsed.kind, example).toBe('call');
      if (parsed.kind === 'call') expect(parsed.call.name === name || parsed.call.name === 'help').toBe(true);
    }
  });

  it('refuses two commands with one name', () => {
    expect(() => createRegistry([applyLike, applyLike])).toThrow(/'deploy' is declared twice/);
  });
});

describe('manifest.yml agrees with the code', () => {
  const manifest = parse(readFileSync(join(import.meta.dirname, '../../manifest.yml'), 'utf8'));
  const config = testConfig();

  it('declares the slash command, at the path the bot listens on', () => {
    const commands = manifest.features.slash_commands as {
      command: string;
      url: string;
      usage_hint: string;
    }[];
    expect(commands.map((c) => c.command)).toEqual([SLASH]);
    expect(new URL(commands[0]?.url ?? '').pathname).toBe(config.slack.path);
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe(config.slack.path);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
  });

  it('subscribes to the events the adapter handles and enables App Home', () => {
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['commands', 'chat:write']));
  });
});
