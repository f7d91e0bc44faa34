import { parseDocument, type YAMLError } from 'yaml';

export type YamlRead = { ok: true; value: unknown; warnings: string[] } | { ok: false; errors: string[] };

/** A build file is a page of YAML; anything this large is a mistake or an attack. */
export const MAX_FILE_BYTES = 256 * 1024;

/**
 * A trigger list item written without quotes, `- branch: master and filepath: deploy/`, is not
 * valid YAML (a second `key: value` inside a one-line mapping), yet it is how people write
 * triggers. Such a line, and only such a line, is quoted and parsed again, with a warning.
 */
const unquotedTrigger =
  /^(\s*-\s+)((?:\\(?:branch|text|filepath)\b|(?:branch|text|filepath):).*?)(\s+#.*?)?(\r?)$/;
const MAX_REPAIRS = 100;

export const readYaml = (text: string, source: string): YamlRead => {
  if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES) {
    return {
      ok: false,
      errors: [`${source} is larger than ${MAX_FILE_BYTES / 1024} KiB; is it the right file?`],
    };
  }
  const lines = text.split('\n');
  const warnings: string[] = [];
  for (let repairs = 0; ; repairs++) {
    const document = parseDocument(lines.join('\n'), { prettyErrors: true, uniqueKeys: true });
    const first = document.errors[0];
    if (first) {
      const repaired = repairs < MAX_REPAIRS && repairTriggerLine(lines, first);
      if (repaired) {
        warnings.push(`${source}:${repaired.line}: ${repaired.warning}`);
        continue;
      }
      return { ok: false, errors: document.errors.map((error) => describeYamlError(error, source)) };
    }
    warnings.push(...document.warnings.map((warning) => describeYamlError(warning, source)));
    if (document.contents === null) {
      return { ok: false, errors: [`${source} is empty: expected at least image: and stages:`] };
    }
    try {
      return { ok: true, value: document.toJS({ maxAliasCount: 100 }), warnings };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, errors: [`${source}: not valid YAML: ${why}`] };
    }
  }
};

const repairTriggerLine = (
  lines: string[],
  error: YAMLError,
): { line: number; warning: string } | undefined => {
  const line = error.linePos?.[0].line;
  if (error.code !== 'BLOCK_AS_IMPLICIT_KEY' || line === undefined) return undefined;
  const match = unquotedTrigger.exec(lines[line - 1] ?? '');
  if (!match) return undefined;
  const [, dash = '', trigger = '', comment = '', cr = ''] = match;
  lines[line - 1] = `${dash}${JSON.stringify(trigger)}${comment}${cr}`;
  return {
    line,
    warning: `read the trigger "${trigger}" as if quoted; quote it in the file, since YAML reads "a: b and c: d" as nested mappings`,
  };
};

const describeYamlError = (error: YAMLError, source: string): string => {
  const where = error.linePos?.[0];
  const place = where ? `${source}:${where.line}:${where.col}` : source;
  const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  const kind = error.name === 'YAMLWarning' ? 'YAML warning' : 'not valid YAML';
  return `${place}: ${kind}: ${message}`;
};
