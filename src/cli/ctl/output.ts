// Where a command's results go: informational lines to stderr (silenced by --quiet, and in JSON
// mode so that a script reads only data), results to stdout as a table or as JSON.
import { cellText, renderTable } from './table.js';

export interface Writer {
  write(text: string): unknown;
}

export type Format = 'table' | 'json';

export interface OutputOptions {
  format: Format;
  /** no informational lines */
  quiet: boolean;
  /** tables start with a header row */
  headers: boolean;
}

export class Output {
  constructor(
    private readonly stdout: Writer,
    private readonly stderr: Writer,
    readonly options: OutputOptions,
  ) {}

  get json(): boolean {
    return this.options.format === 'json';
  }

  /** A line saying what is being done, e.g. "Listing queues in vhost / ...". */
  info(line: string): void {
    if (!this.options.quiet && !this.json) this.stderr.write(`${line}\n`);
  }

  /** Rows of named columns: a table, or a JSON array of objects keyed by column name. */
  list(columns: readonly string[], rows: readonly (readonly unknown[])[]): void {
    if (this.json) {
      const objects = rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i] ?? null])));
      this.data(objects);
      return;
    }
    const cells = rows.map((row) => row.map(cellText));
    this.stdout.write(renderTable(this.options.headers ? columns : undefined, cells));
  }

  /** Named values of one object: "key  value" lines, or the object as JSON. */
  record(fields: readonly (readonly [label: string, value: unknown])[], json: unknown): void {
    if (this.json) {
      this.data(json);
      return;
    }
    this.stdout.write(renderTable(undefined, fields.map(([label, value]) => [label, cellText(value)])));
  }

  /** A JSON document on stdout, whatever the format. */
  data(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}
