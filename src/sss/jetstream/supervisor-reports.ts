import type { KV } from 'nats';

/** What a supervisor of a shared log says about itself, under its own key of the liveness bucket. */
export interface SupervisorReport {
  owner: string;
  role: 'leading' | 'standby';
  /** The epoch it leads at; a standby's is the newest epoch its index has read. */
  epoch: number;
  /** The last stream seq in its local index. */
  indexed: number;
  /** When it wrote this report (ms since the epoch, by its clock). */
  time: number;
}

const PREFIX = 'supervisor';

/** KV keys allow letters, digits and `-/_=.`: an owner is any string, so its key is base64url. */
const keyOf = (owner: string): string => `${PREFIX}.${Buffer.from(owner, 'utf8').toString('base64url')}`;

/**
 * Every supervisor of a shared log, leading or standing by, as each reports itself: a KV entry
 * per supervisor, put again every third of the bucket's `max_age`, so the entry of one that
 * died lapses with it. Read by `recq status --nats`; nothing decides on it.
 *
 * @example
 * const reports = new SupervisorReports(kv);
 * await reports.put({ owner: 'sup-a', role: 'standby', epoch: 3, indexed: 1502, time: Date.now() });
 * (await reports.all()).map((r) => r.owner); // ['sup-a', ...]
 */
export class SupervisorReports {
  readonly #kv: KV;

  constructor(kv: KV) {
    this.#kv = kv;
  }

  async put(report: SupervisorReport): Promise<void> {
    await this.#kv.put(keyOf(report.owner), JSON.stringify(report));
  }

  /** Takes this owner's report away at once (a clean stop). */
  async withdraw(owner: string): Promise<void> {
    await this.#kv.delete(keyOf(owner));
  }

  /** The reports that have not lapsed, by owner; entries that are not reports are left out. */
  async all(): Promise<SupervisorReport[]> {
    const keys: string[] = [];
    for await (const key of await this.#kv.keys(`${PREFIX}.>`)) keys.push(key);
    const entries = await Promise.all(keys.map((key) => this.#kv.get(key)));
    const reports = entries.flatMap((entry) => {
      if (entry?.operation !== 'PUT') return [];
      const report = readReport(entry.string());
      return report ? [report] : [];
    });
    return reports.sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
  }
}

function readReport(text: string): SupervisorReport | undefined {
  let value: Partial<SupervisorReport>;
  try {
    value = JSON.parse(text) as Partial<SupervisorReport>;
  } catch {
    return undefined;
  }
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (typeof value?.owner !== 'string' || (value.role !== 'leading' && value.role !== 'standby')) return undefined;
  if (!count(value.epoch) || !count(value.indexed) || !count(value.time)) return undefined;
  return { owner: value.owner, role: value.role, epoch: value.epoch, indexed: value.indexed, time: value.time };
}
