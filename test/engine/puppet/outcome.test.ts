import { describe, expect, it } from 'vitest';
import {
  interpretExec,
  interpretRun,
  parseStderrErrors,
  type RunOutcome,
} from '../../../src/engine/puppet/command.js';
import { execResultOf, loadRun } from './fixtures.js';

/** The smallest valid reduced report; `changed` adds one resource with a noop event. */
const report = (overrides: Record<string, unknown> = {}, changed = false) =>
  JSON.stringify({
    format: 1,
    host: 'node1.example.com',
    environment: 'production',
    status: 'unchanged',
    noop: true,
    noop_pending: false,
    transaction_completed: true,
    configuration_version: '1',
    puppet_version: '7.23.0',
    time: '2026-01-01T00:00:00.000+00:00',
    timing: {},
    resources: {},
    events: {},
    resource_statuses: changed
      ? [
          {
            type: 'File',
            title: '/x',
            path: '/Stage[main]/File[/x]',
            file: null,
            line: null,
            containment_path: ['Stage[main]', 'File[/x]'],
            failed: false,
            failed_to_restart: false,
            skipped: false,
            changed: false,
            out_of_sync: true,
            corrective_change: false,
            events: [
              {
                property: 'ensure',
                previous_value: 'absent',
                desired_value: 'file',
                status: 'noop',
                message: 'm',
                name: 'n',
              },
            ],
          },
        ]
      : [],
    logs: [],
    ...overrides,
  });

const COMPILE_STDERR =
  "Error: Facter: Permission denied @ rb_sysopen - /proc/1/environ\nError: Evaluation Error: Unknown function: 'x'. (file: /c/a.pp, line: 2, column: 3) on node n1\n";

describe('interpretRun: exit codes and reports → outcome', () => {
  it.each<[string, Parameters<typeof interpretRun>[0], RunOutcome]>([
    ['0, nothing pending', { exitCode: 0, stdout: '', stderr: '', reportJson: report() }, 'unchanged'],
    // Puppet 7 exits 0 from a noop with pending changes: the report says so
    [
      '0, noop_pending',
      { exitCode: 0, stdout: '', stderr: '', reportJson: report({ noop_pending: true }) },
      'changes',
    ],
    [
      '0, a resource with events',
      { exitCode: 0, stdout: '', stderr: '', reportJson: report({}, true) },
      'changes',
    ],
    [
      '2, changes applied',
      { exitCode: 2, stdout: '', stderr: '', reportJson: report({ noop: false }) },
      'changes',
    ],
    [
      '4, failures',
      { exitCode: 4, stdout: '', stderr: '', reportJson: report({ status: 'failed' }) },
      'failed',
    ],
    [
      '6, changes and failures',
      { exitCode: 6, stdout: '', stderr: '', reportJson: report({}, true) },
      'failed',
    ],
    [
      '0 but status failed',
      { exitCode: 0, stdout: '', stderr: '', reportJson: report({ status: 'failed' }) },
      'failed',
    ],
    [
      '0 but transaction incomplete',
      { exitCode: 0, stdout: '', stderr: '', reportJson: report({ transaction_completed: false }) },
      'failed',
    ],
    [
      '1 with a report (failed after compiling)',
      { exitCode: 1, stdout: '', stderr: '', reportJson: report() },
      'failed',
    ],
    [
      '1 without a report, Error: on stderr',
      { exitCode: 1, stdout: '', stderr: COMPILE_STDERR },
      'compile_error',
    ],
    [
      '1 without a report, only Facter noise',
      { exitCode: 1, stdout: '', stderr: 'Error: Facter: x\n' },
      'failed',
    ],
    ['0 without a report (processor missing)', { exitCode: 0, stdout: '', stderr: '' }, 'failed'],
    ['127: puppet not installed', { exitCode: 127, stdout: '', stderr: 'sh: puppet: not found' }, 'failed'],
    ['124: timeout stopped it', { exitCode: 124, stdout: '', stderr: '' }, 'timed_out'],
    ['137: timeout had to KILL', { exitCode: 137, stdout: '', stderr: '' }, 'timed_out'],
    ['transport timeout', { exitCode: null, stdout: '', stderr: '', timedOut: true }, 'timed_out'],
    ['killed by a signal', { exitCode: null, stdout: '', stderr: '' }, 'failed'],
    [
      '2 with a truncated report',
      { exitCode: 2, stdout: '', stderr: '', reportJson: '{"format":1,' },
      'failed',
    ],
  ])('%s', (_, input, outcome) => {
    expect(interpretRun(input).outcome).toBe(outcome);
  });

  it('explains failures that Puppet itself does not', () => {
    expect(interpretRun({ exitCode: 0, stdout: '', stderr: '' }).problem).toMatch(
      /is the heckler_bot_r1 module on its modulepath\?/,
    );
    expect(interpretRun({ exitCode: 127, stdout: '', stderr: 'sh: 1: puppet: not found\n' }).problem).toBe(
      'puppet command not found on the node:\nsh: 1: puppet: not found',
    );
    // the wrapper runs Puppet through `timeout`, which words a missing command by locale
    for (const quoted of ["'openvox'", '‘openvox’']) {
      const stderr = `Error: Facter: error while resolving custom facts\ntimeout: failed to run command ${quoted}: No such file or directory\n`;
      expect(interpretRun({ exitCode: 127, stdout: '', stderr }).problem).toBe(
        'openvox is not installed on the node: `sudo apt-get install puppet` (Debian/Ubuntu) or install openvox',
      );
    }
    const truncated = interpretRun({ exitCode: 2, stdout: '', stderr: '', reportJson: '{"format":1,' });
    expect(truncated.reportError?.code).toBe('invalid_json');
  });

  it('captures a compile error with its message, file, line and node', () => {
    expect(interpretRun({ exitCode: 1, stdout: '', stderr: COMPILE_STDERR }).errors).toEqual([
      {
        message: "Evaluation Error: Unknown function: 'x'.",
        file: '/c/a.pp',
        line: 2,
        column: 3,
        node: 'n1',
      },
    ]);
  });
});

describe('interpretExec over real captured runs', () => {
  it.each<[string, RunOutcome, number]>([
    ['noop-file-diff', 'changes', 0],
    ['noop-refresh', 'changes', 0],
    ['noop-unchanged', 'unchanged', 0],
    ['noop-v2-node1', 'changes', 0],
    ['noop-v2-node2', 'changes', 0],
    ['noop-large-catalog', 'changes', 0],
    ['compile-error', 'compile_error', 1],
    ['compile-error-node3', 'compile_error', 1],
    ['apply-failure', 'failed', 6],
  ])('%s → %s (exit %i)', (name, outcome, exitCode) => {
    const captured = loadRun(name);
    const run = interpretExec(execResultOf(captured), captured.nonce);
    expect(run).toMatchObject({ outcome, exitCode });
    expect(run.report === undefined).toBe(outcome === 'compile_error');
  });

  it('reads the compile error Puppet printed (processor not run: no report)', () => {
    const captured = loadRun('compile-error');
    expect(interpretExec(execResultOf(captured), captured.nonce).errors).toEqual([
      {
        message: "Evaluation Error: Unknown function: 'motd_banner'.",
        file: '/data/heckler/checkout/modules/motd/manifests/init.pp',
        line: 6,
        column: 16,
        node: 'node1.example.com',
      },
    ]);
  });
});

describe('parseStderrErrors', () => {
  it('skips Facter noise and other levels, keeps continuation lines', () => {
    const stderr = [
      'Error: Facter: Permission denied @ rb_sysopen - /proc/1/environ',
      'Warning: Unknown variable: $x',
      'Error: Could not set things',
      'Wrapped exception:',
      'No such file',
      'Notice: done',
    ].join('\n');
    expect(parseStderrErrors(stderr)).toEqual([
      { message: 'Could not set things\nWrapped exception:\nNo such file' },
    ]);
  });

  it('splits only the trailing location off (a duplicate declaration names two places)', () => {
    const line =
      'Error: Evaluation Error: Error while evaluating a Resource Statement, Duplicate declaration: File[/x] is ' +
      'already declared at (file: /c/a.pp, line: 3); cannot redeclare (file: /c/b.pp, line: 8) on node web1';
    expect(parseStderrErrors(line)).toEqual([
      {
        message:
          'Evaluation Error: Error while evaluating a Resource Statement, Duplicate declaration: File[/x] is ' +
          'already declared at (file: /c/a.pp, line: 3); cannot redeclare',
        file: '/c/b.pp',
        line: 8,
        node: 'web1',
      },
    ]);
  });

  it('takes `on node` without a location', () => {
    expect(parseStderrErrors('Error: Could not find class ::nope for web1 on node web1')).toEqual([
      { message: 'Could not find class ::nope for web1', node: 'web1' },
    ]);
  });
});
