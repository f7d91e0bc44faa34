import { describe, expect, it } from 'vitest';
import { type NormalizedReport, normalizeReport } from '../../../src/engine/puppet/normalize.js';
import type { ReducedLog, ReducedStatus } from '../../../src/engine/puppet/report-schema.js';
import { cleanDiff, cleanErrorMessage, cleanText } from '../../../src/engine/puppet/text.js';

/** One rule at a time, on hand-made reports shaped like the real ones (fixtures: normalize.test.ts). */
const CHECKOUT = '/srv/heckler/checkout';
const PATH = '/Stage[main]/Svc/Service[web]';

const status = (fields: Partial<ReducedStatus> = {}): ReducedStatus => ({
  type: 'Service',
  title: 'web',
  path: PATH,
  file: `${CHECKOUT}/modules/svc/manifests/init.pp`,
  line: 9,
  containment_path: ['Stage[main]', 'Svc', 'Service[web]'],
  failed: false,
  failed_to_restart: false,
  skipped: false,
  changed: false,
  out_of_sync: false,
  corrective_change: false,
  events: [],
  ...fields,
});

const log = (message: string, source = PATH, level = 'notice'): ReducedLog => ({
  level,
  message,
  source,
  file: null,
  line: null,
});

const normalize = (statuses: ReducedStatus[], logs: ReducedLog[]): NormalizedReport => {
  const report = {
    format: 1,
    host: 'web1.example.com',
    environment: 'production',
    status: 'unchanged',
    noop: true,
    noop_pending: true,
    transaction_completed: true,
    configuration_version: 'abc',
    puppet_version: '7.23.0',
    time: '2026-01-01T00:00:00.000+00:00',
    timing: {},
    resources: {},
    events: {},
    resource_statuses: statuses,
    logs,
  };
  const result = normalizeReport(report, { node: 'web1', checkout: `${CHECKOUT}/` });
  if (!result.ok) throw new Error(result.error.message);
  return result.report;
};

describe('noise', () => {
  it.each([
    ['Applied catalog in 0.02 seconds', 'Puppet'],
    ['Finished catalog run in 1.50 seconds', 'Puppet'],
    ['Compiled catalog for web1.example.com in environment production in 0.09 seconds', 'Puppet'],
    ["Would have triggered 'refresh' from 2 events", 'Class[Svc]'],
    ["Would have triggered 'refresh' from 1 event", 'Stage[main]'],
    ["Would have triggered 'refresh' from 1 event", 'Node[web1.example.com]'],
    ["Would have triggered 'refresh' from 1 event", 'Svc::Vhost[main]'],
    ["Triggered 'refresh' from 3 events", 'Class[Svc]'],
  ])('%j from %s is dropped', (message, source) => {
    expect(normalize([], [log(message, source)])).toMatchObject({
      resources: [],
      evalErrors: [],
      messages: [],
    });
  });
});

describe('resource logs', () => {
  it("keeps a resource's refresh notice as refresh: true (noop and apply wording)", () => {
    const noop = normalize([status()], [log("Would have triggered 'refresh' from 1 event")]);
    expect(noop.resources).toEqual([
      {
        type: 'Service',
        title: 'web',
        file: 'modules/svc/manifests/init.pp',
        line: 9,
        events: [],
        refresh: true,
        failed: false,
        skipped: false,
        logs: [],
      },
    ]);
    const refreshEvent = {
      property: null,
      previous_value: null,
      desired_value: null,
      status: 'success',
      message: "Triggered 'refresh' from 1 event",
      name: 'refresh',
    };
    const applied = normalize([status({ events: [refreshEvent] })], []);
    expect(applied.resources[0]).toMatchObject({ events: [], refresh: true });
  });

  it('drops log lines that repeat a noop/success event, keeps failures and sorts events by property', () => {
    const events = [
      {
        property: 'mode',
        previous_value: '0600',
        desired_value: '0644',
        status: 'noop',
        message: "current_value '0600', should be '0644' (noop)",
        name: 'mode_changed',
      },
      {
        property: 'content',
        previous_value: '{md5}a',
        desired_value: '{md5}b',
        status: 'success',
        message: "content changed '{md5}a' to '{md5}b'",
        name: 'content_changed',
      },
      {
        property: 'ensure',
        previous_value: 'stopped',
        desired_value: 'running',
        status: 'failure',
        message: 'change from stopped to running failed: boom',
        name: 'service_started',
      },
    ];
    const report = normalize(
      [status({ events, failed: true })],
      [
        log("current_value '0600', should be '0644' (noop)", `${PATH}/mode`),
        log(
          '\n--- /etc/web.conf\t2026-01-01 00:00:00 +0000\n+++ /tmp/puppet-file20260101-1-abc\t2026-01-01 +0000\n@@ -1 +1 @@\n-a\n+b\n',
          `${PATH}/content`,
        ),
        log("content changed '{md5}a' to '{md5}b'", `${PATH}/content`),
        log('change from stopped to running failed: boom', `${PATH}/ensure`, 'err'),
        log('Started by hand', PATH, 'warning'),
      ],
    );
    expect(report.resources[0]).toMatchObject({
      events: [
        { property: 'content', from: '{md5}a', to: '{md5}b' },
        { property: 'ensure', from: 'stopped', to: 'running' },
        { property: 'mode', from: '0600', to: '0644' },
      ],
      diff: '--- /etc/web.conf\n+++ /tmp/puppet-fileXXXXXX\n@@ -1 +1 @@\n-a\n+b',
      failed: true,
      logs: ['Error: change from stopped to running failed: boom', 'Warning: Started by hand'],
    });
  });

  it('names the nearest defined type, skipping stages, nodes and classes', () => {
    const containment = [
      'Stage[main]',
      'Main',
      'Node[web1.example.com]',
      'Svc',
      'Svc::Site[a]',
      'Svc::Vhost[b/c]',
      'File[/x]',
    ];
    const report = normalize(
      [status({ type: 'File', title: '/x', path: '/p', containment_path: containment })],
      [log('x', '/p')],
    );
    expect(report.resources[0]?.defineType).toBe('Svc::Vhost[b/c]');
    const plain = normalize(
      [status({ containment_path: ['Stage[main]', 'Node[n]', 'Service[web]'] })],
      [log('x')],
    );
    expect(plain.resources[0]?.defineType).toBeUndefined();
  });
});

describe('logs about no resource', () => {
  it('turns errors into evaluation errors: node name removed, path relative, duplicates merged', () => {
    const message = `Could not find dependency File[/x] for Service[web] (file: ${CHECKOUT}/modules/svc/manifests/init.pp, line: 9) on node web1.example.com`;
    const report = normalize([], [log(message, 'Puppet', 'err'), log(message, 'Puppet', 'err')]);
    expect(report.evalErrors).toEqual([
      {
        message: 'Could not find dependency File[/x] for Service[web]',
        file: 'modules/svc/manifests/init.pp',
        line: 9,
      },
    ]);
  });

  it("drops Puppet's echo of a resource failure", () => {
    const failure = {
      property: 'ensure',
      previous_value: 'absent',
      desired_value: 'file',
      status: 'failure',
      message: 'change failed: Could not set x',
      name: 'file_created',
    };
    const report = normalize(
      [status({ failed: true, events: [failure] })],
      [
        log('Could not set x', 'Puppet', 'err'),
        log('change failed: Could not set x', `${PATH}/ensure`, 'err'),
      ],
    );
    expect(report.evalErrors).toEqual([]);
    expect(report.resources[0]?.logs).toEqual(['Error: change failed: Could not set x']);
  });

  it('keeps other warnings and notices as messages', () => {
    const report = normalize(
      [],
      [log('Unknown variable: $x', 'Puppet', 'warning'), log('hello', 'Class[Svc]')],
    );
    expect(report.messages).toEqual(['Warning: Unknown variable: $x', 'Class[Svc]: hello']);
  });
});

describe('text helpers', () => {
  const context = { checkout: CHECKOUT, names: ['web1', 'web1.example.com'] };

  it.each([
    [
      'Binary files /etc/x and /tmp/puppet-file20261123-23603-ro6fxg differ',
      'Binary files /etc/x and /tmp/puppet-fileXXXXXX differ',
    ],
    // the body is file content: left exactly as it is, even when it looks like a path or a temp name
    [
      `--- /a\t1\n+++ /b\t2\n@@ -1 +1 @@\n-${CHECKOUT}/x\n+v20260101-1-abc`,
      `--- /a\n+++ /b\n@@ -1 +1 @@\n-${CHECKOUT}/x\n+v20260101-1-abc`,
    ],
  ])('cleanDiff(%j)', (input, output) => expect(cleanDiff(input, context)).toBe(output));

  it.each([
    [
      'Unknown function (file: /srv/heckler/checkout/a.pp) on node web1.example.com',
      'Unknown function (file: a.pp)',
    ],
    ['Could not find class ::x for web1.example.com', 'Could not find class ::x for <node>'],
    ['web1 and web10 and web1.example.com.', '<node> and web10 and <node>.'],
  ])('cleanErrorMessage(%j)', (input, output) => expect(cleanErrorMessage(input, context)).toBe(output));

  it("shows the node's workDir as <workDir> in diff headers, so local nodes sharing a machine group", () => {
    const on = (node: string) => ({ ...context, workDir: `/srv/demo/nodes/${node}` });
    const diff = (node: string) =>
      `--- /srv/demo/nodes/${node}/files/app.conf\t2026\n+++ /tmp/puppet-file20261123-23603-ro6fxg\t2026\n@@ -1 +1 @@\n-workers = 1\n+workers = 2`;
    const expected =
      '--- <workDir>/files/app.conf\n+++ /tmp/puppet-fileXXXXXX\n@@ -1 +1 @@\n-workers = 1\n+workers = 2';
    expect(cleanDiff(diff('demo1'), on('demo1'))).toBe(expected);
    expect(cleanDiff(diff('demo2'), on('demo2'))).toBe(expected);
    // the checkout (under the workDir) is still stripped to a relative path
    expect(
      cleanText(`${CHECKOUT}/a.pp and /srv/heckler/state`, { ...context, workDir: '/srv/heckler' }),
    ).toBe('a.pp and <workDir>/state');
  });

  it('replaces lone surrogates and leaves dates in prose alone', () => {
    expect(cleanText('a\uD800b released 20260101-1-abc', context)).toBe('a\uFFFDb released 20260101-1-abc');
  });
});
