/** Where progress is drawn: `process.stderr`, or a fake terminal in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const CLEAR_LINE = '\r\x1b[K';
const BAR_WIDTH = 30;

/**
 * A progress bar on one terminal line, redrawn in place on each `update` and replaced by a
 * closing line by `done`. Only on a terminal: `ProgressBar.on` gives none for a pipe or a file,
 * whose readers want the outcome, not escape codes.
 *
 * @example
 * const bar = ProgressBar.on(process.stderr, 'replaying orders');
 * bar?.update(420, 1000); // replaying orders [############------------------]  42% 420/1000
 * bar?.done('consumer orders rebuilt to seq 1000');
 */
export class ProgressBar {
  readonly #stream: ProgressStream;
  readonly #label: string;
  #drawn = '';

  private constructor(stream: ProgressStream, label: string) {
    this.#stream = stream;
    this.#label = label;
  }

  /** A bar on `stream` if it is a terminal; undefined otherwise. */
  static on(stream: ProgressStream, label: string): ProgressBar | undefined {
    return stream.isTTY ? new ProgressBar(stream, label) : undefined;
  }

  /** Draws `done` of `total` (clamped to 0..total); draws nothing when the line would not change. */
  update(done: number, total: number): void {
    const fraction = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
    const counts = `${Math.min(Math.max(done, 0), total)}/${total}`;
    const room = (this.#stream.columns ?? 80) - this.#label.length - counts.length - 10;
    const width = Math.max(0, Math.min(BAR_WIDTH, room));
    const filled = Math.round(fraction * width);
    const bar = width === 0 ? '' : ` [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const line = `${this.#label}${bar} ${`${Math.floor(fraction * 100)}%`.padStart(4)} ${counts}`;
    if (line === this.#drawn) return;
    this.#drawn = line;
    this.#stream.write(`${CLEAR_LINE}${line}`);
  }

  /** Replaces the bar with `message` on a line of its own. */
  done(message: string): void {
    this.#stream.write(`${CLEAR_LINE}${message}\n`);
    this.#drawn = '';
  }

  /** Erases the bar, if one is drawn, leaving the cursor at the start of its empty line. */
  clear(): void {
    if (this.#drawn === '') return;
    this.#stream.write(CLEAR_LINE);
    this.#drawn = '';
  }
}

/**
 * Says on a terminal what a command waits for and how to stop it, as one `recq: ...` line. Off a
 * terminal it writes nothing: scripts read the outcome, and stderr stays for what went wrong.
 */
export function waitingLine(stream: ProgressStream, text: string): void {
  if (stream.isTTY) stream.write(`recq: ${text}\n`);
}
