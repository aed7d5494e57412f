/**
 * Node child processes for tests: a TypeScript entry run through tsx (or any Node script, such
 * as the `recq` bin), its stdout and stderr collected, waits on what it prints bounded by a
 * timeout that names what was awaited, any signal on demand, and an end after the test.
 *
 * @example
 * const children = useChildren();
 *
 * it('prints ready, then stops on SIGTERM', async () => {
 *   const child = children.start({ name: 'worker', entry: 'test/x/worker.ts', args: [db], cwd: REPO });
 *   await child.waitFor(/^ready$/m, 'the ready line');
 *   child.kill('SIGTERM');
 *   expect((await child.exited).code).toBe(0);
 * });
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeEach } from 'vitest';

/** A bound on every wait, so a broken run fails with what it was waiting for instead of hanging. */
export const WAIT_MS = 30_000;

/** How a child ended, with everything it printed. */
export interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ChildOptions {
  /** What failure messages call the child. */
  name: string;
  /** A TypeScript (or JavaScript) file run as `node --import tsx <entry> ...args`. */
  entry?: string;
  /** A script run as `node <script> ...args`, such as the `recq` bin; used when `entry` is not given. */
  script?: string;
  args?: readonly string[];
  cwd: string;
  /** Added to the parent's environment. */
  env?: Record<string, string>;
  /** Keep stdin open for `write` (a child may treat its closing as the parent being gone). */
  stdin?: boolean;
  /** More context for failure messages, such as the child's last warnings. */
  detail?: () => string;
}

const live = new Set<Child>();
// A test runner that exits with children still running must not leave them behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** One running child: what it printed so far, waits on it, signals, and its end. */
export class Child {
  readonly name: string;
  /** Complete stdout lines, in order. */
  readonly lines: string[] = [];
  /** Resolves once the child has exited and its output is read to the end. */
  readonly exited: Promise<ChildOutcome>;
  #stdout = '';
  #stderr = '';
  #partial = '';
  #ended = false;
  readonly #lineListeners: ((line: string) => void)[] = [];
  #waiters: (() => void)[] = [];
  readonly #process: ReturnType<typeof spawn>;
  readonly #detail: (() => string) | undefined;

  constructor(options: ChildOptions) {
    this.name = options.name;
    this.#detail = options.detail;
    const argv = options.entry !== undefined ? ['--import', 'tsx', options.entry] : [options.script as string];
    this.#process = spawn(process.execPath, [...argv, ...(options.args ?? [])], {
      cwd: options.cwd,
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    // A child that exited with input unread must not crash the test with EPIPE.
    this.#process.stdin?.on('error', () => {});
    this.#process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
      this.#wake();
    });
    this.#process.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#receive(chunk));
    this.exited = new Promise((resolve, reject) => {
      this.#process.once('error', reject);
      this.#process.once('close', (code, signal) => {
        if (this.#partial !== '') this.#line(this.#partial);
        this.#partial = '';
        this.#ended = true;
        live.delete(this);
        resolve({ code, signal, stdout: this.#stdout, stderr: this.#stderr });
        this.#wake();
      });
    });
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get running(): boolean {
    return !this.#ended;
  }

  /** Calls `listener` with each stdout line as it arrives, before any wait looks at it. */
  onLine(listener: (line: string) => void): void {
    this.#lineListeners.push(listener);
  }

  /** Resolves with the stream's output so far once it matches `pattern`; rejects if the child ends first or after `timeoutMs`. */
  waitFor(pattern: RegExp, what: string, options: { stream?: 'stdout' | 'stderr'; timeoutMs?: number } = {}): Promise<string> {
    const stream = options.stream ?? 'stdout';
    const text = () => (stream === 'stdout' ? this.#stdout : this.#stderr);
    return this.until(() => (pattern.test(text()) ? text() : undefined), `${what} (${stream} matching ${pattern})`, options.timeoutMs);
  }

  /** Resolves with stdout line number `index` (0-based) once it has arrived. */
  line(index: number, what: string, timeoutMs?: number): Promise<string> {
    return this.until(() => this.lines[index], what, timeoutMs);
  }

  /** Resolves once `check` returns something other than undefined, looking again whenever the child prints or ends. */
  until<T>(check: () => T | undefined, what: string, timeoutMs = WAIT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const look = () => {
        const found = check();
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        } else if (this.#ended) {
          clearTimeout(timer);
          reject(new Error(`${this.name} ended while waiting for ${what}${this.describe()}`));
        } else this.#waiters.push(look);
      };
      timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== look);
        reject(new Error(`${this.name}: waited ${timeoutMs} ms for ${what}${this.describe()}`));
      }, timeoutMs);
      look();
    });
  }

  /** Writes one line to the child's stdin (started with `stdin: true`). */
  write(line: string): void {
    this.#process.stdin?.write(`${line}\n`);
  }

  /** Sends `signal` if the child still runs: SIGKILL as a crash would, SIGSTOP/SIGCONT to freeze and thaw it. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.#ended) this.#process.kill(signal);
  }

  /** SIGKILLs the child if it still runs and resolves once it is gone. */
  async end(): Promise<ChildOutcome> {
    this.kill('SIGKILL');
    return this.exited;
  }

  /** The child's exit and last stderr, for failure messages. */
  describe(): string {
    const exit = this.#process.exitCode ?? this.#process.signalCode;
    return [exit === null ? '' : `\n  exited: ${exit}`, this.#detail?.() ?? '', this.#stderr ? `\n  stderr: ${this.#stderr.slice(-1500)}` : ''].join('');
  }

  #receive(chunk: string): void {
    this.#stdout += chunk;
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() as string;
    for (const line of parts) this.#line(line);
    this.#wake();
  }

  #line(line: string): void {
    this.lines.push(line);
    for (const listener of this.#lineListeners) listener(line);
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** Starts a child; end it yourself, or start it through `useChildren()`. */
export function startChild(options: ChildOptions): Child {
  return new Child(options);
}

/** What `useChildren()` returns. */
export interface Children {
  /** Starts a child that is ended after the running test (or, started in `beforeAll`, after the file's tests). */
  start(options: ChildOptions): Child;
  /** Ends a child started some other way after the test too. */
  keep(child: Child): Child;
}

/**
 * Registers hooks that SIGKILL every child still running once its test is over, whether it
 * passed or not, and wait until it is gone. Vitest runs `afterEach` hooks as a stack: call this
 * after `useScratch()` so children end before their directory is removed.
 */
export function useChildren(): Children {
  const ofTest: Child[] = [];
  const ofFile: Child[] = [];
  let inTest = false;
  beforeEach(() => {
    inTest = true;
  });
  afterEach(async () => {
    inTest = false;
    await Promise.all(ofTest.splice(0).map((child) => child.end()));
  });
  afterAll(async () => {
    await Promise.all(ofFile.splice(0).map((child) => child.end()));
  });
  const keep = (child: Child) => {
    (inTest ? ofTest : ofFile).push(child);
    return child;
  };
  return { start: (options) => keep(startChild(options)), keep };
}
