import type { DeadLetterState } from '../operator/store-reader.ts';

/** A column of a text table; numbers read best right-aligned. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * Lays rows out under their headers, columns two spaces apart, no trailing spaces.
 *
 * @example
 * formatTable([{ header: 'consumer' }, { header: 'lag', align: 'right' }], [['orders', '0']]);
 * // consumer  lag
 * // orders      0
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] ?? 0;
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n');
}

/** Milliseconds since the epoch as an ISO-8601 UTC time. */
export function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

/** A dead letter for `--json`, with its event as JSON rather than a string of it. */
export function deadLetterJson(letter: DeadLetterState): Omit<DeadLetterState, 'event'> & { event: unknown } {
  let event: unknown = letter.event;
  try {
    event = JSON.parse(letter.event);
  } catch {
    // Kept as the stored text: the letter is shown as it is, readable or not.
  }
  return { ...letter, event };
}
