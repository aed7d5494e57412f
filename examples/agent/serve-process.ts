import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RecordedCall } from './call-log.ts';
import type { Command, Output } from './protocol.ts';

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));
/** A bound on every answer, so a broken run fails saying what it waited for instead of hanging. */
const ANSWER_TIMEOUT_MS = 30_000;

/** Distributes `Omit` over a union, so each command keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Where `serve.ts` runs, and how. */
export interface ServeOptions {
  db: string;
  clockStartMs: number;
  answerAfterMs: number;
  /** The child's environment (the proof leaves out the real model's variable). */
  env: NodeJS.ProcessEnv;
}

/**
 * One `serve.ts` lifetime seen from the driver: commands sent and answered in turn, each call
 * the stand-ins announce, and SIGKILL.
 *
 * @example
 * const serve = await ServeProcess.start({ db, clockStartMs: 0, answerAfterMs: 20, env: {} });
 * serve.onCall((call) => console.log(call.key));
 * await serve.send({ cmd: 'advance', ms: 1000 });
 */
export class ServeProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void; what: string }>();
  readonly #callListeners: ((call: RecordedCall) => void)[] = [];
  #ready: (() => void) | undefined;
  #nextId = 1;
  #stderr = '';

  private constructor(options: ServeOptions) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', SERVE, options.db, String(options.clockStartMs), String(options.answerAfterMs)], {
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // Writing to a child that was just killed must not crash the driver.
    this.#child.stdin?.on('error', () => {});
    this.#child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on('line', (line) => this.#receive(JSON.parse(line) as Output));
    this.exited = new Promise((resolve) => {
      this.#child.once('close', (code, signal) => {
        for (const [, waiter] of this.#pending)
          waiter.reject(new Error(`serve.ts ended (${signal ?? code}) before answering ${waiter.what}${this.#stderrTail()}`));
        this.#pending.clear();
        resolve({ code, signal });
      });
    });
  }

  /** Starts a lifetime and resolves once its system is up (restored and caught up). */
  static async start(options: ServeOptions): Promise<ServeProcess> {
    const serve = new ServeProcess(options);
    const ready = new Promise<void>((resolve) => {
      serve.#ready = resolve;
    });
    const ended = serve.exited.then(({ code, signal }) => {
      throw new Error(`serve.ts exited (${signal ?? code}) before it was ready${serve.#stderrTail()}`);
    });
    // Once ready, a later exit is the lifetime's end, not a failure to start.
    ended.catch(() => {});
    await Promise.race([ready, ended]);
    return serve;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Calls `listener` with each call the stand-in model or tool announces. */
  onCall(listener: (call: RecordedCall) => void): void {
    this.#callListeners.push(listener);
  }

  /** Sends one command; resolves with its result, rejects with the child's error. */
  send<T = unknown>(command: WithoutId<Command>): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`serve.ts did not answer ${command.cmd} within ${ANSWER_TIMEOUT_MS} ms${this.#stderrTail()}`));
      }, ANSWER_TIMEOUT_MS);
      const settle =
        <V>(then: (value: V) => void) =>
        (value: V) => {
          clearTimeout(timer);
          then(value);
        };
      this.#pending.set(id, { resolve: settle(resolve as (result: unknown) => void), reject: settle(reject), what: command.cmd });
      this.#child.stdin?.write(`${JSON.stringify({ ...command, id })}\n`);
    });
  }

  /** SIGKILL, as a crash would, and resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.exited;
  }

  /** A clean stop (the system commits and closes), then the end of the process. */
  async stop(): Promise<void> {
    await this.send({ cmd: 'stop' });
    await this.exited;
  }

  #receive(output: Output): void {
    if (output.type === 'ready') this.#ready?.();
    else if (output.type === 'call') {
      const { type: _, ...call } = output;
      for (const listener of this.#callListeners) listener(call);
    } else {
      const waiter = this.#pending.get(output.id);
      this.#pending.delete(output.id);
      if (output.type === 'done') waiter?.resolve(output.result);
      else waiter?.reject(new Error(`serve.ts refused a command: ${output.error}`));
    }
  }

  #stderrTail(): string {
    return this.#stderr ? `\n  stderr: ${this.#stderr.slice(-1500)}` : '';
  }
}
