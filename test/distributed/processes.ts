/**
 * Runs a distributed recq system as separate processes for a test: a nats-server of its own,
 * a temp directory for the SQLite files, a supervisor and workers started from
 * `supervisor.ts` and `worker.ts`, and helpers to talk to them, wait on what they print,
 * SIGKILL them, stop them, and find a whole-system quiet point.
 *
 * @example
 * const cluster = await Cluster.start();
 * try {
 *   const supervisor = await cluster.supervisor();
 *   const worker = await cluster.worker({ name: 'a', components: ['recorder'] });
 *   await worker.call('publish', { inputs: [{ topic: 'inv.a', event: { type: 'add', amount: 1 }, key: 'k1' }] });
 *   await quiet(supervisor, [worker]);
 * } finally {
 *   await cluster.cleanup();
 * }
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { Envelope } from '../../src/index.ts';
import { type Child, startChild, WAIT_MS } from '../support/child-process.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { TempDir } from '../support/temp-dir.ts';
import type { ComponentName, Line, NodeConfig, WireFailure } from './protocol.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Short enough that a takeover or an expiry in a test costs little more than a second. */
export const LEASE_TTL_MS = 1500;

/** An error a child reported, with the class name and RecqError code it had there. */
export class RemoteError extends Error {
  readonly code: string | undefined;
  readonly recq: boolean;
  constructor(failure: WireFailure, where: string) {
    super(`${where}: ${failure.message}`);
    this.name = failure.name;
    this.code = failure.code;
    this.recq = failure.recq;
  }
}

/** One supervisor or worker process: its protocol lines, its commands, its end. */
export class NodeProcess {
  readonly name: string;
  readonly lines: Line[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: Child;
  readonly #replies = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; cmd: string }>();
  readonly #watchers = new Set<() => void>();
  #nextId = 1;

  constructor(entry: 'supervisor' | 'worker', config: NodeConfig) {
    this.name = config.name;
    this.#child = startChild({
      name: config.name,
      entry: join(REPO, 'test', 'distributed', `${entry}.ts`),
      args: [JSON.stringify(config)],
      cwd: REPO,
      // The child halts when its stdin closes, so it never outlives the test.
      stdin: true,
      detail: () => this.#detail(),
    });
    this.#child.onLine((text) => this.#receive(text));
    this.exited = this.#child.exited.then(({ code, signal }) => {
      for (const [, pending] of this.#replies)
        pending.reject(new Error(`${this.name} exited (${describe({ code, signal })}) before answering ${pending.cmd}${this.#child.describe()}`));
      this.#replies.clear();
      return { code, signal };
    });
  }

  get running(): boolean {
    return this.#child.running;
  }

  /** How many lines have arrived: pass it to `waitFor` to look only at later ones. */
  mark(): number {
    return this.lines.length;
  }

  /** Resolves with the first line from index `from` on that passes `test`; rejects if the process ends first. */
  waitFor<T extends Line>(test: (line: Line) => line is T, what: string, from?: number): Promise<T>;
  waitFor(test: (line: Line) => boolean, what: string, from?: number): Promise<Line>;
  waitFor(test: (line: Line) => boolean, what: string, from = 0): Promise<Line> {
    return this.until(() => this.lines.slice(from).find(test), what);
  }

  /** Resolves once `check` returns something other than undefined, looking again after each line. */
  until<T>(check: () => T | undefined, what: string): Promise<T> {
    return this.#child.until(check, what);
  }

  /** Calls `watcher` after each line arrives, until the returned function is called. */
  watch(watcher: () => void): () => void {
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  /** Runs a command in the child and resolves with its value; rejects with a `RemoteError` if it failed there. */
  call<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    if (!this.running) return Promise.reject(new Error(`${this.name} has exited; cannot run ${cmd}`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#replies.delete(id);
        reject(new Error(`${this.name} did not answer ${cmd} within ${WAIT_MS} ms${this.#child.describe()}`));
      }, WAIT_MS);
      this.#replies.set(id, {
        cmd,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#child.write(JSON.stringify({ id, cmd, args }));
    });
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  async kill(): Promise<void> {
    await this.#child.end();
  }

  /** SIGSTOP: the process stays alive but does nothing, as one stalled by a long pause would. */
  freeze(): void {
    this.#child.kill('SIGSTOP');
  }

  /** SIGCONT: a frozen process carries on, with its timers overdue. */
  thaw(): void {
    this.#child.kill('SIGCONT');
  }

  /** SIGTERM, which the child answers with a graceful `stop()`; rejects unless it then exits cleanly. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    const outcome = await this.exited;
    if (outcome.code !== 0) throw new Error(`${this.name} did not stop cleanly (${describe(outcome)})${this.#child.describe()}`);
  }

  /** Log lines at `level` or above, for failure messages. */
  logs(level: 'info' | 'warn' | 'error' = 'warn'): string[] {
    const levels = level === 'info' ? ['info', 'warn', 'error'] : level === 'warn' ? ['warn', 'error'] : ['error'];
    return this.lines.flatMap((line) =>
      line.type === 'log' && levels.includes(line.level) ? [`${line.level} ${line.message}${line.error ? ` (${line.error})` : ''}`] : [],
    );
  }

  #receive(text: string): void {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      // tsx or Node may print a warning on stdout; it is not part of the protocol.
      return;
    }
    this.lines.push(line);
    for (const watcher of this.#watchers) watcher();
    if (line.type === 'reply') {
      const pending = this.#replies.get(line.id);
      this.#replies.delete(line.id);
      if (line.ok) pending?.resolve(line.value);
      else pending?.reject(new RemoteError(line.error, `${this.name} ${pending.cmd}`));
    }
  }

  /** The exit error the child reported and its last warnings, for failure messages. */
  #detail(): string {
    const exit = this.lines.find((line) => line.type === 'exit');
    const logs = this.logs('warn').slice(-8);
    return [
      exit && exit.type === 'exit' && exit.error ? `\n  exit error: ${exit.error.name}: ${exit.error.message}` : '',
      logs.length > 0 ? `\n  last warnings: ${logs.join(' | ')}` : '',
    ].join('');
  }
}

const describe = (outcome: { code: number | null; signal: NodeJS.Signals | null }): string => outcome.signal ?? `code ${outcome.code}`;

export interface WorkerSpec {
  name: string;
  components?: ComponentName[];
  /** Default: the name, so a restarted worker is the same owner and takes its leases back at once. */
  owner?: string;
  namespace?: string;
  checkpoint?: { maxEvents?: number; maxDelayMs?: number };
}

export interface SupervisorSpec {
  name?: string;
  namespace?: string;
  maxPayloadBytes?: number;
}

/**
 * A nats-server, a temp directory and the processes of one test. Each process's SQLite file is
 * named after it, so starting a process again under the same name restarts it on its own file.
 */
export class Cluster {
  readonly nats: NatsServer;
  readonly #dir: TempDir;
  readonly #processes: NodeProcess[] = [];

  private constructor(nats: NatsServer, dir: TempDir) {
    this.nats = nats;
    this.#dir = dir;
  }

  static async start(): Promise<Cluster> {
    const nats = await startNatsServer();
    return new Cluster(nats, new TempDir());
  }

  file(name: string): string {
    return this.#dir.file(`${name}.db`);
  }

  /** Starts a supervisor and resolves once it serves the log. */
  supervisor(spec: SupervisorSpec = {}): Promise<NodeProcess> {
    const name = spec.name ?? 'supervisor';
    return this.#launch('supervisor', {
      name,
      db: this.file(name),
      url: this.nats.url,
      // A fixed owner: a restarted supervisor takes the log's lease back without waiting for it to expire.
      owner: name,
      leaseTtlMs: LEASE_TTL_MS,
      ...(spec.namespace === undefined ? {} : { namespace: spec.namespace }),
      ...(spec.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: spec.maxPayloadBytes }),
    });
  }

  /** Starts a worker and resolves once each of its consumers is live or standing by. */
  worker(spec: WorkerSpec): Promise<NodeProcess> {
    return this.#launch('worker', {
      name: spec.name,
      db: this.file(spec.name),
      url: this.nats.url,
      owner: spec.owner ?? spec.name,
      leaseTtlMs: LEASE_TTL_MS,
      components: spec.components ?? [],
      ...(spec.namespace === undefined ? {} : { namespace: spec.namespace }),
      ...(spec.checkpoint === undefined ? {} : { checkpoint: spec.checkpoint }),
    });
  }

  /** Kills whatever still runs, stops the server, and removes every file, whether the test passed or not. */
  async cleanup(): Promise<void> {
    await Promise.all(this.#processes.map((p) => p.kill()));
    await this.nats.stop();
    this.#dir.remove();
  }

  async #launch(entry: 'supervisor' | 'worker', config: NodeConfig): Promise<NodeProcess> {
    const node = new NodeProcess(entry, config);
    this.#processes.push(node);
    await node.waitFor((line) => line.type === 'ready', 'ready');
    return node;
  }
}

/**
 * Registers an `afterEach` that cleans up the cluster the test started, whether it passed or
 * not, and returns what starts it.
 *
 * @example
 * const startCluster = useCluster();
 *
 * it('recovers', async () => {
 *   const cluster = await startCluster();
 *   const supervisor = await cluster.supervisor();
 * });
 */
export function useCluster(): () => Promise<Cluster> {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.cleanup();
    cluster = undefined;
  });
  return async () => {
    cluster = await Cluster.start();
    return cluster;
  };
}

/**
 * A whole-system quiet point: every worker settled (its consumers applied and checkpointed
 * everything routed to them, and relayed what they emitted), with the log head unchanged
 * from before the first worker was asked to after the last one answered. A worker's
 * `settled()` covers its own consumers only; what one worker emits while another settles
 * moves the head, and the round starts again. Resolves with the head.
 */
export async function quiet(supervisor: NodeProcess, workers: readonly NodeProcess[]): Promise<number> {
  for (;;) {
    await owned(workers);
    const before = await supervisor.call<number>('head');
    for (const worker of workers) await worker.call('settled');
    const after = await supervisor.call<number>('head');
    if (after === before) return after;
  }
}

/** States in which a host does not hold its consumer yet, or has just let it go: it will try again. */
const BETWEEN_OWNERS = new Set(['restoring', 'standby', 'failing', 'fenced']);

/**
 * Waits until every consumer the workers report is held by one of them: a host that gave its
 * consumer up (its lease lapsed while the supervisor was away) stands by and registers again
 * with backoff, and `settled()` does not wait for a consumer no host of its worker holds.
 */
function owned(workers: readonly NodeProcess[]): Promise<void> {
  const unheld = (): string[] => {
    const states = new Map<string, string[]>();
    for (const worker of workers) {
      const last = new Map<string, string>();
      for (const line of worker.lines) if (line.type === 'host') last.set(line.consumer as string, line.state as string);
      for (const [consumer, state] of last) states.set(consumer, [...(states.get(consumer) ?? []), state]);
    }
    return [...states].filter(([, held]) => held.every((state) => BETWEEN_OWNERS.has(state))).map(([consumer]) => consumer);
  };
  return new Promise((resolve, reject) => {
    const unwatch = workers.map((worker) => worker.watch(() => look()));
    const done = () => {
      clearTimeout(timer);
      for (const stop of unwatch) stop();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`waited ${WAIT_MS} ms for a host to hold ${unheld().join(', ')}`));
    }, WAIT_MS);
    const look = () => {
      if (unheld().length > 0) return;
      done();
      resolve();
    };
    look();
  });
}

/** Every event in the log, in seq order, as the supervisor serves it. */
export async function readLog(node: NodeProcess): Promise<Envelope[]> {
  const log: Envelope[] = [];
  for (;;) {
    const page = await node.call<Envelope[]>('events', { after: log.length === 0 ? 0 : (log[log.length - 1] as Envelope).seq, limit: 5000 });
    if (page.length === 0) return log;
    log.push(...page);
  }
}

/** A host's state, from the lines its worker printed: the last reported one. */
export function hostState(node: NodeProcess, consumer: string): string | undefined {
  let state: string | undefined;
  for (const line of node.lines) if (line.type === 'host' && line.consumer === consumer) state = line.state;
  return state;
}

/** Waits until the worker reports `consumer` in `state`. */
export function waitForHostState(node: NodeProcess, consumer: string, state: string, from = 0): Promise<Line> {
  return node.waitFor((line) => line.type === 'host' && line.consumer === consumer && line.state === state, `${consumer} ${state}`, from);
}

/** How many events a producer has had acknowledged so far. */
export function ackCount(node: NodeProcess): number {
  let count = 0;
  for (const line of node.lines) if (line.type === 'ack') count += line.ids.length;
  return count;
}

/** Waits until a producer has had at least `count` events acknowledged. */
export function waitForAcks(node: NodeProcess, count: number): Promise<number> {
  return node.until(() => {
    const acked = ackCount(node);
    return acked >= count ? acked : undefined;
  }, `${count} acknowledged events`);
}

/** What a producer's ack lines acknowledged: seq by id. */
export function acknowledged(node: NodeProcess): Map<string, number> {
  const acks = new Map<string, number>();
  for (const line of node.lines) {
    if (line.type !== 'ack') continue;
    line.ids.forEach((id, i) => {
      acks.set(id, line.seqs[i] as number);
    });
  }
  return acks;
}
