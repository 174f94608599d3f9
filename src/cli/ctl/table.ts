// Text rendering of values and tables for people. Scripts should use --format json instead.

/** One value as table cell text: scalars as they are, lists of scalars comma-separated, objects as JSON. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return escapeControl(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) {
    return value.map((v) => cellText(v)).join(',');
  }
  return escapeControl(JSON.stringify(value));
}

// A tab or newline inside a name would break the columns.
function escapeControl(text: string): string {
  return text.replace(/[\t\n\r]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** Columns padded to their widest cell and separated by two spaces; no trailing blanks. */
export function renderTable(header: readonly string[] | undefined, rows: readonly (readonly string[])[]): string {
  const all = header ? [header, ...rows] : rows;
  if (all.length === 0) return '';
  const widths = all[0]!.map((_, i) => Math.max(...all.map((row) => [...row[i]!].length)));
  const lines = all.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length)))
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}
