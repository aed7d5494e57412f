import type { ConsumerMessages, JetStreamClient, JsMsg } from 'nats';
import type { Logger } from '../../logging/logger.ts';
import type { StreamIndex } from './stream-index.ts';
import { decodeRecord, type StreamRecord } from './stream-record.ts';

export interface StreamTailOptions {
  js: JetStreamClient;
  stream: string;
  index: StreamIndex;
  logger: Logger;
}

/**
 * A standby's reading of the log's stream into its local index: an ordered consumer from the
 * record after the index head, which the client recreates at the right sequence if it misses
 * one. Records that arrive together are indexed in one transaction.
 *
 * @example
 * const tail = new StreamTail({ js, stream: 'recq_sss', index, logger });
 * await tail.start();
 * // ... before claiming an epoch:
 * await tail.stop();
 */
export class StreamTail {
  readonly #o: StreamTailOptions;
  #messages: ConsumerMessages | undefined;
  #buffer: StreamRecord[] = [];
  #flushScheduled = false;
  /** Bumped on each start and stop, so messages of an earlier reading are dropped. */
  #generation = 0;

  constructor(options: StreamTailOptions) {
    this.#o = options;
  }

  get running(): boolean {
    return this.#messages !== undefined;
  }

  /** Starts reading after the index head. A `stop()` while it starts ends that reading too. */
  async start(): Promise<void> {
    if (this.#messages) return;
    const generation = ++this.#generation;
    const consumer = await this.#o.js.consumers.get(this.#o.stream, { opt_start_seq: this.#o.index.head + 1 });
    if (generation !== this.#generation) return;
    const messages = await consumer.consume({ max_messages: 1000, callback: (msg) => this.#receive(generation, msg) });
    // Stopped (or started again) while it was being set up: this reading is over before it began.
    if (generation !== this.#generation) {
      await messages.close().catch(() => {});
      return;
    }
    this.#messages = messages;
  }

  /** Stops reading; what arrived is indexed first, so the index head is the tail read. */
  async stop(): Promise<void> {
    this.#generation++;
    const messages = this.#messages;
    this.#messages = undefined;
    this.#flush();
    this.#buffer = [];
    if (messages) await messages.close().catch(() => {});
  }

  #receive(generation: number, msg: JsMsg): void {
    if (generation !== this.#generation) return;
    this.#buffer.push(decodeRecord(msg.seq, msg.headers, msg.data));
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const records = this.#buffer;
    if (records.length === 0) return;
    this.#buffer = [];
    for (const record of records) {
      if (record.kind === 'unreadable') this.#o.logger.warn(`skipped record seq ${record.seq} of the log's stream: ${record.reason}`);
    }
    try {
      this.#o.index.apply(records);
    } catch (error) {
      // A gap (the consumer restarted further on): read again from the index head.
      this.#o.logger.warn('could not index records of the log stream; reading it again from the index head', { error });
      void this.stop().then(() => this.start().catch((failure: unknown) => this.#o.logger.error('could not read the log stream', { error: failure })));
    }
  }
}
