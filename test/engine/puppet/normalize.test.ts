import { describe, expect, it } from 'vitest';
import { interpretExec } from '../../../src/engine/puppet/command.js';
import {
  type NormalizedReport,
  normalizeReport,
  normalizeRun,
  type ResourceChange,
} from '../../../src/engine/puppet/normalize.js';
import { contextOf, execResultOf, loadReduced, loadRun } from './fixtures.js';

const CHECKOUT = '/data/heckler/checkout';
const MOTD_V0 = '{sha256}8d4323a2a0a8b2622796d1e67d81095ac3d0c53f5ec7530a500e0b05a2371455';
const MOTD_V1 = '{sha256}7d533311873617015587787a8a6ca8d246da2bd34b31849fbc08584cc20ac67f';
const APP_CONF_2 = '{sha256}c6d864701c07a88358c972c3e856fcc4bff976e3b45f8ec0b0453a70c7caf57c';
const APP_CONF_4 = '{sha256}04a1694b98e5660aa84ae25342cf0b751feeae2455adaf52ef4f1aaace4c8845';
const APP_CONF_5 = '{sha256}036e9d3c5adc43d5775518d8a9be16516c32361471de8d8ffee073bccf28f471';

/** A captured run, as the engine would see it: exec result → interpretExec → normalizeRun. */
const normalized = (name: string): NormalizedReport => {
  const captured = loadRun(name);
  return normalizeRun(interpretExec(execResultOf(captured), captured.nonce), contextOf(captured));
};

const change = (
  fields: Partial<ResourceChange> & Pick<ResourceChange, 'type' | 'title'>,
): ResourceChange => ({
  events: [],
  refresh: false,
  failed: false,
  skipped: false,
  logs: [],
  ...fields,
});

const motdChange = change({
  type: 'File',
  title: '/data/motd',
  file: 'modules/motd/manifests/init.pp',
  line: 3,
  events: [{ property: 'content', from: MOTD_V0, to: MOTD_V1 }],
  diff: [
    '--- /data/motd',
    '+++ /tmp/puppet-fileXXXXXX',
    '@@ -1 +1,2 @@',
    ' Welcome to the Heckler test fleet.',
    '+Be kind to each other.',
  ].join('\n'),
});

const reloadExec = (line: number) =>
  change({
    type: 'Exec',
    title: 'reload webapp',
    file: 'modules/webapp/manifests/init.pp',
    line,
    refresh: true,
  });

describe('normalizeRun over real captured runs', () => {
  it('noop-file-diff: the motd content change with its diff; class/stage refresh chatter dropped', () => {
    expect(normalized('noop-file-diff')).toEqual({
      node: 'node1',
      outcome: 'changes',
      configurationVersion: expect.stringMatching(/^\d+$/),
      resources: [motdChange],
      evalErrors: [],
      messages: [],
    });
  });

  it('noop-refresh: the exec that would be refreshed is its own, highlighted change', () => {
    expect(normalized('noop-refresh').resources).toEqual([
      reloadExec(12),
      change({
        type: 'File',
        title: '/data/webapp/app.conf',
        file: 'modules/webapp/manifests/init.pp',
        line: 6,
        events: [{ property: 'content', from: APP_CONF_2, to: APP_CONF_4 }],
        diff: '--- /data/webapp/app.conf\n+++ /tmp/puppet-fileXXXXXX\n@@ -1,2 +1,2 @@\n port = 8080\n-workers = 2\n+workers = 4',
      }),
    ]);
  });

  it('noop-unchanged: nothing at all ("Applied catalog" is noise)', () => {
    expect(normalized('noop-unchanged')).toMatchObject({ outcome: 'unchanged', resources: [], messages: [] });
  });

  it('compile-error: the evaluation error, relative path, no node name', () => {
    expect(normalized('compile-error')).toEqual({
      node: 'node1',
      outcome: 'compile_error',
      configurationVersion: null,
      resources: [],
      evalErrors: [
        {
          message: "Evaluation Error: Unknown function: 'motd_banner'.",
          file: 'modules/motd/manifests/init.pp',
          line: 6,
          column: 16,
        },
      ],
      messages: [],
    });
  });

  it('compile-error-node3: the node named inside the message becomes <node>, so nodes group', () => {
    expect(normalized('compile-error-node3').evalErrors).toEqual([
      {
        message:
          'Evaluation Error: Error while evaluating a Function Call, webapp does not support <node> yet',
        file: 'modules/webapp/manifests/init.pp',
        line: 4,
        column: 5,
      },
    ]);
  });

  it('noop-v2 on node1 and node2: the same resource, node-specific content', () => {
    const [one] = normalized('noop-v2-node1').resources;
    const [two] = normalized('noop-v2-node2').resources;
    expect(one?.events[0]?.from).toBe(MOTD_V1);
    expect(one?.events[0]?.from).toBe(two?.events[0]?.from);
    expect(one?.events[0]?.to).not.toBe(two?.events[0]?.to);
    expect(one?.diff).toMatch(/\n\+This is node1\.example\.com\.$/);
    expect(two?.diff).toMatch(/\n\+This is node2\.example\.com\.$/);
    expect({ ...one, events: [], diff: '' }).toEqual({ ...two, events: [], diff: '' });
  });

  it('apply-failure: the failed file, the skipped exec, the refresh that ran, the defined type', () => {
    const report = normalized('apply-failure');
    expect(report.outcome).toBe('failed');
    // Puppet's "Puppet"-sourced echoes of the file failure are not evaluation errors
    expect(report.evalErrors).toEqual([]);
    const file = 'modules/webapp/manifests/init.pp';
    expect(report.resources).toEqual([
      change({
        type: 'Exec',
        title: 'after notes',
        file,
        line: 25,
        skipped: true,
        logs: [
          'Dependency File[/data/missing/dir/notes] has failures: true',
          'Warning: Skipping because of failed dependencies',
        ],
      }),
      reloadExec(10),
      change({
        type: 'File',
        title: '/data/missing/dir/notes',
        file,
        line: 20,
        events: [{ property: 'ensure', from: 'absent', to: 'file' }],
        failed: true,
        logs: [
          "Error: change from 'absent' to 'file' failed: Could not set 'file' on ensure: No such file or directory - " +
            'A directory component in /data/missing/dir/notesXXXXXX.lock does not exist or is a dangling symbolic link ' +
            `(file: ${file}, line: 20)`,
        ],
      }),
      change({
        type: 'File',
        title: '/data/webapp/app.conf',
        file,
        line: 6,
        events: [{ property: 'content', from: APP_CONF_4, to: APP_CONF_5 }],
        diff: '--- /data/webapp/app.conf\n+++ /tmp/puppet-fileXXXXXX\n@@ -1,2 +1,2 @@\n port = 8080\n-workers = 4\n+workers = 5',
      }),
      change({
        type: 'File',
        title: '/data/webapp/vhost-main.conf',
        defineType: 'Webapp::Vhost[main]',
        file: 'modules/webapp/manifests/vhost.pp',
        line: 3,
        events: [{ property: 'ensure', from: 'absent', to: 'file' }],
      }),
    ]);
  });

  it('noop-large-catalog: one changed file out of 3000', () => {
    expect(normalized('noop-large-catalog').resources.map((r) => `${r.type}[${r.title}]`)).toEqual([
      'File[/data/many/file-7]',
    ]);
  });

  it('is deterministic: a second capture of the same change normalizes the same', () => {
    expect(normalized('noop-file-diff').resources).toEqual(normalized('noop-file-diff').resources);
    const fromFile = normalizeReport(loadReduced('noop-file-diff'), { node: 'node1', checkout: CHECKOUT });
    expect(fromFile.ok && fromFile.report.resources).toEqual([motdChange]);
  });
});

describe('normalizeReport on hostile input: a typed error, never an exception', () => {
  const context = { node: 'node1', checkout: CHECKOUT };

  it.each([
    ['hostile-empty', 'empty'],
    ['hostile-truncated', 'invalid_json'],
    ['hostile-wrong-shape', 'invalid_shape'],
    ['hostile-processor-error', 'processor_failed'],
  ])('%s → %s', (name, code) => {
    const result = normalizeReport(loadReduced(name), context);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(code);
  });

  it('replaces bytes that are not UTF-8 and caps a 300 KB message', () => {
    const result = normalizeReport(loadReduced('hostile-non-utf8'), context);
    if (!result.ok) throw new Error(result.error.message);
    const [logs] = result.report.resources.map((resource) => resource.logs);
    expect(logs?.[0]).toBe('caf\uFFFD \uFFFD\uFFFD \uFFFD end');
    expect(logs?.[1]).toMatch(/^huge x+\n\[heckler: truncated 234473 more bytes\]$/);
    expect(Buffer.byteLength(logs?.[1] ?? '')).toBeLessThan(66_000);
  });

  it.each<[string, unknown, string]>([
    ['undefined', undefined, 'invalid_shape'],
    ['a number', 42, 'invalid_shape'],
    ['null JSON', 'null', 'invalid_shape'],
    ['whitespace', ' \n', 'empty'],
    ['over 16 MiB', 'x'.repeat(17 * 1024 * 1024), 'too_large'],
    ['a JSON array', '[]', 'invalid_shape'],
  ])('%s', (_, input, code) => {
    const result = normalizeReport(input, context);
    expect(result.ok ? 'ok' : result.error.code).toBe(code);
  });

  it('never throws on any truncation of a real report', () => {
    const text = loadReduced('apply-failure').toString('utf8');
    for (let length = 0; length < text.length; length += 7) {
      expect(() => normalizeReport(text.slice(0, length), context)).not.toThrow();
    }
  });
});
