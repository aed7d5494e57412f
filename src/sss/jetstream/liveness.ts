import type { KV } from 'nats';

/** What the leader's liveness entry says: who leads, at which epoch. A hint only: the stream decides. */
export interface LeaderEntry {
  owner: string;
  epoch: number;
}

const LEADER_KEY = 'leader';

/**
 * The leader's liveness signal: an entry in a KV bucket with `max_age`, put again every third
 * of its time-to-live while the leader leads. When it lapses, a standby may claim the next
 * epoch. Safety never rests on it: on nats-server 2.9.10 a KV update with a revision is not
 * safe in a cluster, so who leads is decided by the stream's expected-last-sequence alone.
 */
export class Liveness {
  readonly #kv: KV;

  constructor(kv: KV) {
    this.#kv = kv;
  }

  /** Says this process leads at `epoch`, for another time-to-live. */
  async beat(entry: LeaderEntry): Promise<void> {
    await this.#kv.put(LEADER_KEY, JSON.stringify(entry));
  }

  /** The entry, unless it has lapsed (or was never written, or is unreadable). */
  async leader(): Promise<LeaderEntry | undefined> {
    const entry = await this.#kv.get(LEADER_KEY);
    if (entry?.operation !== 'PUT') return undefined;
    try {
      const value = JSON.parse(entry.string()) as Partial<LeaderEntry>;
      if (typeof value.owner === 'string' && typeof value.epoch === 'number') return { owner: value.owner, epoch: value.epoch };
    } catch {
      // Not ours: treat it as lapsed, the stream still decides.
    }
    return undefined;
  }

  /** Takes the entry away at once (a leader stepping down cleanly), so a standby need not wait it out. */
  async clear(owner: string): Promise<void> {
    const current = await this.leader();
    if (current?.owner === owner) await this.#kv.delete(LEADER_KEY);
  }
}
