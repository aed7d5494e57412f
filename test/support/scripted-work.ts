import type { BatchOutcome, HeldLetter, HostCommand, HostLink, HostState, HostView, HostWork, Registered } from '../../actors/host.work.ts';

/** An error the scripted work calls fencing: another owner holds the consumer. */
export class FenceError extends Error {}

/** A step that does not end until the test says so. */
export class Gate {
  release!: () => void;
  readonly opened = new Promise<void>((resolve) => {
    this.release = resolve;
  });
}

/** A host's work that records each step the machine runs and answers from a script. */
export class ScriptedWork implements HostWork {
  readonly consumer: string;
  readonly steps: string[] = [];
  /** Every state the machine's view went through, as the work saw it. */
  readonly states: HostState[] = [];
  /** Items waiting in the inbox; a batch that ends done takes them all. */
  inbox = 0;
  /** Whether a checkpoint is due after the next batch. */
  commitAfterBatch = false;
  registrations: (Registered | Error)[] = [];
  restores: ({ paused: boolean } | Error)[] = [];
  batches: (BatchOutcome | Error)[] = [];
  replayError: Error | undefined;
  /** Holds the named step open until released. */
  gates: Record<string, Gate> = {};
  #ready: (() => void) | undefined;
  #link!: HostLink;
  #view: HostView | undefined;

  constructor(consumer = 'orders') {
    this.consumer = consumer;
  }

  attach(link: HostLink): void {
    this.#link = link;
    link.observe((view) => {
      this.#view = view;
      if (this.states.at(-1) !== view.state) this.states.push(view.state);
    });
  }
  send(event: HostCommand | { type: 'stop' }): void {
    (this.#link.send as (event: HostCommand | { type: 'stop' }) => void)(event);
  }
  view(): HostView {
    return this.#view as HostView;
  }
  /** Work arrives, as deliveries do: the idle machine is woken. */
  arrive(items = 1): void {
    this.inbox += items;
    const ready = this.#ready;
    this.#ready = undefined;
    ready?.();
  }
  async #step<T>(name: string, next: () => T): Promise<T> {
    this.steps.push(name);
    await this.gates[name]?.opened;
    return next();
  }
  register(): Promise<Registered> {
    return this.#step('register', () => {
      const next = this.registrations.shift() ?? { registered: true };
      if (next instanceof Error) throw next;
      return next;
    });
  }
  replayQueued(): Promise<void> {
    return this.#step('replayQueued', () => {});
  }
  restore(): Promise<{ paused: boolean }> {
    return this.#step('restore', () => {
      const next = this.restores.shift() ?? { paused: false };
      if (next instanceof Error) throw next;
      return next;
    });
  }
  catchUp(): Promise<void> {
    return this.#step('catchUp', () => {});
  }
  awaitWork(ready: () => void): () => void {
    if (this.inbox > 0) {
      ready();
      return () => {};
    }
    this.#ready = ready;
    return () => {
      if (this.#ready === ready) this.#ready = undefined;
    };
  }
  processBatch(): Promise<BatchOutcome & { commitDue: boolean }> {
    return this.#step('processBatch', () => {
      const next = this.batches.shift() ?? { outcome: 'done' };
      if (next instanceof Error) throw next;
      if (next.outcome === 'done') this.inbox = 0;
      return { ...next, commitDue: this.commitAfterBatch };
    });
  }
  commit(): Promise<void> {
    return this.#step('commit', () => {});
  }
  replay(from: number): Promise<void> {
    return this.#step(`replay from ${from}`, () => {
      if (this.replayError) throw this.replayError;
    });
  }
  shutDown(): Promise<void> {
    return this.#step('shutDown', () => {});
  }
  retryLetter(letter: HeldLetter): void {
    this.steps.push(`retry ${letter.eventId}`);
  }
  skipLetter(letter: HeldLetter): void {
    this.steps.push(`skip ${letter.eventId}`);
  }
  isFencing(error: unknown): boolean {
    return error instanceof FenceError;
  }
  /** The steps run since `mark` was taken. */
  since(mark: number): string[] {
    return this.steps.slice(mark);
  }
}
