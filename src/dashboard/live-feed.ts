import { headHistory, needsHistory } from './head-history.ts';
import type { DashboardSource } from './source.ts';
import type { DashboardEvent, HeadSample, StreamMessage } from './wire.ts';

/** How long the chart of events/s looks back. */
const SAMPLE_WINDOW_MS = 5 * 60 * 1000;
/** Most events one tick sends: a burst beyond it shows as a jump in the tail, not a flood. */
const EVENTS_PER_TICK = 500;
/** How many events a new page starts its tail with. */
const INITIAL_TAIL = 100;

/** One page's stream: where to send, and which actor it watches. */
export interface FeedClient {
  send(message: StreamMessage): void;
  watch: { component: string; key: string | undefined } | undefined;
  /** The last actor message sent, to send only changes. */
  lastActor?: string;
}

/**
 * Polls the source while any page is open and pushes what changed: the overview (with head
 * samples for the events/s chart), new events of the log, and each page's watched actor. One
 * poll serves every page.
 */
export class LiveFeed {
  readonly #source: DashboardSource;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #clients = new Set<FeedClient>();
  #samples: HeadSample[] = [];
  #lastSeq: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;

  constructor(source: DashboardSource, options: { intervalMs: number; now?: () => number }) {
    this.#source = source;
    this.#intervalMs = options.intervalMs;
    this.#now = options.now ?? Date.now;
  }

  /** Adds a page: it gets the overview, the recent tail and its actor at once, then every change. */
  async add(client: FeedClient): Promise<void> {
    this.#clients.add(client);
    this.#timer ??= setInterval(() => void this.tick(), this.#intervalMs).unref();
    const overview = await this.#overview();
    client.send({ type: 'overview', overview });
    const tail = await this.#source.events(Math.max(0, overview.head - INITIAL_TAIL), INITIAL_TAIL);
    this.#lastSeq ??= overview.head;
    client.send({ type: 'events', events: tail.filter((e) => e.seq <= (this.#lastSeq ?? 0)) });
    await this.#sendActor(client);
  }

  remove(client: FeedClient): void {
    this.#clients.delete(client);
    if (this.#clients.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** One poll; overlapping ticks (a slow source) are skipped, not queued. */
  tick(): Promise<void> {
    this.#ticking ??= this.#poll().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clients.clear();
  }

  async #poll(): Promise<void> {
    try {
      const overview = await this.#overview();
      this.#broadcast({ type: 'overview', overview });
      const after = this.#lastSeq ?? overview.head;
      if (overview.head > after) {
        const events: DashboardEvent[] = await this.#source.events(Math.max(after, overview.head - EVENTS_PER_TICK), EVENTS_PER_TICK);
        this.#lastSeq = events.at(-1)?.seq ?? overview.head;
        if (events.length > 0) this.#broadcast({ type: 'events', events });
      } else {
        this.#lastSeq = after;
      }
      await Promise.all([...this.#clients].map((client) => this.#sendActor(client)));
    } catch {
      // A source that cannot answer now (a system stopping, a file locked) is asked again next tick.
    }
  }

  async #overview() {
    const overview = await this.#source.overview();
    const now = this.#now();
    if (needsHistory(this.#samples, now)) this.#samples = await headHistory(this.#source, overview.head, now, SAMPLE_WINDOW_MS);
    this.#samples.push({ at: now, head: overview.head });
    this.#samples = this.#samples.filter((s) => s.at >= now - SAMPLE_WINDOW_MS);
    return { ...overview, samples: this.#samples };
  }

  async #sendActor(client: FeedClient): Promise<void> {
    const watch = client.watch;
    if (!watch) return;
    let message: StreamMessage;
    try {
      message = { type: 'actor', actor: await this.#source.actor(watch.component, watch.key) };
    } catch (error) {
      message = { type: 'actor-error', message: error instanceof Error ? error.message : String(error) };
    }
    const json = JSON.stringify(message);
    if (json === client.lastActor) return;
    client.lastActor = json;
    client.send(message);
  }

  #broadcast(message: StreamMessage): void {
    for (const client of this.#clients) client.send(message);
  }
}
