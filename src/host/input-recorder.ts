import type { InputDraft } from '../actor/input-records.ts';
import type { Clock } from '../clock.ts';
import { type AppendInput, prepareAppend } from '../envelope.ts';
import type { StaleEpochError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import type { Logger } from '../logging/logger.ts';
import type { LogAccess } from '../sss/log-access.ts';
import { inputTopicOf } from '../topic.ts';
import { LeasedAppender } from './leased-appender.ts';

export interface InputRecorderOptions {
  consumer: string;
  log: LogAccess;
  clock: Clock;
  logger: Logger;
  maxPayloadBytes: number;
  /** The lease the records are appended under, while the host holds one. */
  lease: () => Lease | undefined;
  /** The log refused the lease: another owner has the consumer now. */
  onFenced: (error: StaleEpochError) => void;
  /** Nothing is waiting to be appended any more, so waiters can look again. */
  onDrained: () => void;
}

interface Waiting {
  input: AppendInput;
  valid: () => boolean;
}

/**
 * Appends a consumer's input records (its timers' firings, its children's outcomes and events)
 * to the log under its lease, in the order they happened (a `LeasedAppender`: those of one turn
 * in one append, retried with a growing delay). While the consumer catches up with the log the
 * records wait (`holdUntil`): once it `reached` that seq, those that still apply (a timer not
 * cancelled meanwhile, a child not stopped) are appended.
 */
export class InputRecorder {
  readonly #o: InputRecorderOptions;
  readonly #appender: LeasedAppender;
  #waiting: Waiting[] = [];
  #held = true;
  /** The seq the consumer catches up to before what waits is appended. */
  #until = 0;

  constructor(options: InputRecorderOptions) {
    this.#o = options;
    const waiting = () => this.#waiting;
    this.#appender = new LeasedAppender({
      ...options,
      what: 'its input records',
      queue: {
        peek: (limit) =>
          waiting()
            .slice(0, limit)
            .map((w) => w.input),
        drop: (count) => {
          this.#waiting.splice(0, count);
        },
        get size() {
          return waiting().length;
        },
      },
    });
  }

  /**
   * Queues a record for `key`'s actor. Throws, and queues nothing, if it cannot be published
   * (not JSON, over the size limit).
   */
  record(key: string | undefined, draft: InputDraft, valid: () => boolean): void {
    const input: AppendInput = {
      topic: inputTopicOf(this.#o.consumer),
      event: draft.event,
      id: draft.id,
      causation: draft.causation,
      correlationId: draft.correlationId,
    };
    if (key !== undefined) input.key = key;
    prepareAppend(input, this.#o.maxPayloadBytes);
    this.#waiting.push({ input, valid });
    this.#kick();
  }

  /** The consumer catches up with the log to `seq`: records wait until it `reached` it. */
  holdUntil(seq: number): void {
    this.#held = true;
    this.#until = seq;
  }

  /**
   * The consumer has applied through `offset`. Once that reaches the seq it catches up to, what
   * waits and still applies is appended; true when this call let the records go.
   */
  reached(offset: number): boolean {
    if (!this.#held || offset < this.#until) return false;
    this.#held = false;
    this.#waiting = this.#waiting.filter((w) => w.valid());
    this.#kick();
    return true;
  }

  get held(): boolean {
    return this.#held;
  }

  /** True when no record waits to be appended (held ones count: they are not in the log yet). */
  idle(): boolean {
    return this.#waiting.length === 0 && this.#appender.idle();
  }

  stop(): void {
    this.#waiting = [];
    this.#appender.stop();
  }

  #kick(): void {
    const lease = this.#o.lease();
    if (!this.#held && lease && this.#waiting.length > 0) this.#appender.kick(lease);
  }
}
