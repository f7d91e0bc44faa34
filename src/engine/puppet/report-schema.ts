import { z } from 'zod';

/**
 * The JSON that our report processor (assets/heckler_bot_r1) writes on a node. Field
 * names follow Puppet's report (snake_case) so the Ruby side stays a plain copy. Everything
 * arrives over the wire from a node we do not control: it is validated here, never trusted.
 */
const text = z.string();
const maybeText = z.string().nullable();

const eventSchema = z.object({
  property: maybeText,
  previous_value: maybeText,
  desired_value: maybeText,
  status: maybeText,
  message: maybeText,
  name: maybeText,
  audited: z.boolean().optional(),
  corrective_change: z.boolean().optional(),
  redacted: z.boolean().optional(),
});

const statusSchema = z.object({
  type: text,
  title: text,
  /** `/Stage[main]/Motd/File[/data/motd]`: what log `source`s start with. */
  path: text,
  file: maybeText,
  line: z.number().int().nullable(),
  containment_path: z.array(text),
  failed: z.boolean(),
  failed_to_restart: z.boolean(),
  skipped: z.boolean(),
  changed: z.boolean(),
  out_of_sync: z.boolean(),
  corrective_change: z.boolean(),
  events: z.array(eventSchema),
});

const logSchema = z.object({
  level: text,
  message: text,
  source: text,
  file: maybeText,
  line: z.number().int().nullable(),
});

const counts = z.record(z.string(), z.number());

const reportSchema = z.object({
  format: z.literal(1),
  host: text,
  environment: text,
  status: text,
  noop: z.boolean(),
  noop_pending: z.boolean(),
  transaction_completed: z.boolean(),
  configuration_version: maybeText,
  puppet_version: text,
  time: text,
  timing: counts,
  resources: counts,
  events: counts,
  resource_statuses: z.array(statusSchema),
  logs: z.array(logSchema),
});

/** What the processor writes when it crashed itself: Puppet would only have logged it. */
const processorErrorSchema = z.object({ format: z.literal(1), error: text });

export type ReducedEvent = z.infer<typeof eventSchema>;
export type ReducedStatus = z.infer<typeof statusSchema>;
export type ReducedLog = z.infer<typeof logSchema>;
export type ReducedReport = z.infer<typeof reportSchema>;

export type ReportErrorCode = 'empty' | 'too_large' | 'invalid_json' | 'invalid_shape' | 'processor_failed';

export interface ReportError {
  code: ReportErrorCode;
  /** One sentence an operator can act on; names the offending field when the shape is wrong. */
  message: string;
}

export type ReportParse = { ok: true; report: ReducedReport } | { ok: false; error: ReportError };

/** A reduced report is kilobytes; anything this big is not one, and is refused before parsing. */
export const MAX_REPORT_BYTES = 16 * 1024 * 1024;

/**
 * Validates a reduced report: raw bytes (decoded as UTF-8, bad bytes replaced), text, or an
 * already-parsed value. Never throws; every problem is a typed `ReportError`.
 */
export const parseReducedReport = (input: unknown): ReportParse => {
  let value: unknown = input;
  if (input instanceof Uint8Array || typeof input === 'string') {
    const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
    if (size > MAX_REPORT_BYTES) {
      return fail('too_large', `report is ${size} bytes, over the ${MAX_REPORT_BYTES}-byte limit`);
    }
    const json = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
    if (json.trim() === '')
      return fail('empty', 'report is empty: the heckler report processor wrote nothing');
    try {
      value = JSON.parse(json);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return fail('invalid_json', `report is not valid JSON (truncated?): ${why}`);
    }
  }
  const crashed = processorErrorSchema.safeParse(value);
  if (crashed.success) {
    return fail('processor_failed', `the heckler report processor failed on the node: ${crashed.data.error}`);
  }
  const parsed = reportSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return fail(
      'invalid_shape',
      `report has an unexpected shape at ${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return { ok: true, report: parsed.data };
};

const fail = (code: ReportErrorCode, message: string): ReportParse => ({
  ok: false,
  error: { code, message },
});
