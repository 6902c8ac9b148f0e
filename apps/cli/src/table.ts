/**
 * Readable output for people: rows as aligned columns under a header, long cells cut with an
 * ellipsis. Scripts use `--json` instead, which prints the API's answer as it is.
 */

/** Widest a cell may be before it is cut. */
const MAX_CELL = 60;

/** A value as text: objects as JSON, absent values as `-`. */
function asText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return value.toString();
    case 'object':
      return value === null ? '-' : JSON.stringify(value);
    default:
      return '-';
  }
}

function cell(value: unknown): string {
  const text = asText(value);
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}

/** The rows as a table with the given columns (`[header, pick]`), or a note when empty. */
export function formatTable<T>(
  rows: readonly T[],
  columns: Array<[string, (row: T) => unknown]>,
): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map(([, pick]) => cell(pick(row))));
  const widths = columns.map(([header], i) =>
    Math.max(header.length, ...cells.map((line) => line[i].length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns.map(([header]) => header)), ...cells.map(line)].join('\n');
}

/** One record as `field: value` lines, for `show` commands. */
export function formatRecord(record: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(record).map((key) => key.length));
  return Object.entries(record)
    .map(([key, value]) => `${key.padEnd(width)}  ${asText(value)}`)
    .join('\n');
}
