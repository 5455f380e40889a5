/** What the CLI prints: JSON for scripts (`--json`), aligned tables and key/value blocks for people. */

export interface Column<T> {
  readonly header: string;
  readonly value: (item: T) => unknown;
}

export class Output {
  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A list: a table for people, the array itself for scripts. */
  table<T>(items: readonly T[], columns: readonly Column<T>[]): void {
    if (this.json) return this.printJson(items);
    if (items.length === 0) {
      this.line('(none)');
      return;
    }
    const rows = items.map((item) => columns.map((column) => cell(column.value(item))));
    const widths = columns.map((column, i) =>
      Math.max(column.header.length, ...rows.map((row) => row[i]!.length)),
    );
    const format = (cells: readonly string[]) =>
      cells
        .map((text, i) => (i === cells.length - 1 ? text : text.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    this.line(format(columns.map((column) => column.header.toUpperCase())));
    for (const row of rows) this.line(format(row));
  }

  /** One resource: `key: value` lines for people, the object for scripts. */
  record(item: Record<string, unknown>): void {
    if (this.json) return this.printJson(item);
    const width = Math.max(...Object.keys(item).map((key) => key.length));
    for (const [key, value] of Object.entries(item)) {
      this.line(`${`${key}:`.padEnd(width + 1)} ${cell(value)}`);
    }
  }

  /** A sentence for people; scripts get `value` (or nothing) instead. */
  message(text: string, value?: unknown): void {
    if (this.json) {
      if (value !== undefined) this.printJson(value);
      return;
    }
    this.line(text);
  }

  printJson(value: unknown): void {
    this.out.write(JSON.stringify(value, null, 2) + '\n');
  }

  line(text: string): void {
    this.out.write(text + '\n');
  }

  /** Notes that are not the command's result (warnings, how to resume) go to stderr in both modes. */
  note(text: string): void {
    this.err.write(text + '\n');
  }
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length ? value.map(cell).join(',') : '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}
