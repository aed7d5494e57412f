/**
 * A distributed recq system whose log is a JetStream stream, as separate processes on a
 * 3-node nats-server cluster on loopback: supervisors from `supervisor.ts` here (one leads,
 * the others stand by), workers from `test/distributed/worker.ts`, and what the checks need:
 * who leads, when it took over, the records of the stream that are not events.
 *
 * @example
 * const system = await StreamCluster.start();
 * const [leader] = await system.supervisors(['sup-a', 'sup-b']);
 */
import Database from 'better-sqlite3';
import { connect } from 'nats';
import { afterAll } from 'vitest';
import { NodeProcess, type NodeProcess as NodeProcessType, type WorkerSpec } from '../distributed/processes.ts';
import type { NodeConfig } from '../distributed/protocol.ts';
import { type NatsCluster, startNatsCluster } from '../support/nats-cluster.ts';
import { TempDir } from '../support/temp-dir.ts';

/** Short, so a takeover in a test costs a few seconds. */
export const LEASE_TTL_MS = 1500;
/** The leader's liveness entry lapses this long after its last beat. */
export const LIVENESS_TTL_MS = 1500;

/** What `supervisor.ts` here takes: a worker's config plus where the stream lives. */
export interface StreamSupervisorConfig extends NodeConfig {
  replicas: number;
  livenessTtlMs: number;
}

/** A stream record that readers skip, as a supervisor's index holds it. */
export interface SkippedRow {
  seq: number;
  kind: string;
  epoch: number;
  owner: string | null;
}

const LEADS = /^leads the log at epoch (\d+)/;

export class StreamCluster {
  readonly nats: NatsCluster;
  readonly #dir = new TempDir();
  readonly #processes: NodeProcessType[] = [];

  private constructor(nats: NatsCluster) {
    this.nats = nats;
  }

  static async start(): Promise<StreamCluster> {
    return new StreamCluster(await startNatsCluster(3));
  }

  file(name: string): string {
    return this.#dir.file(`${name}.db`);
  }

  /** Starts a supervisor; resolves once it is connected (it leads or stands by on its own). */
  async supervisor(name: string): Promise<NodeProcessType> {
    const config: StreamSupervisorConfig = {
      name,
      db: this.file(name),
      url: this.nats.servers,
      owner: name,
      leaseTtlMs: LEASE_TTL_MS,
      replicas: 3,
      livenessTtlMs: LIVENESS_TTL_MS,
    };
    // The shared process wrapper runs entries from test/distributed; this one lives next door.
    const node = new NodeProcess('../jetstream/supervisor' as 'supervisor', config);
    this.#processes.push(node);
    await node.waitFor((line) => line.type === 'ready', 'ready');
    return node;
  }

  /** Starts a worker on one node's URL (it learns the others from the cluster). */
  async worker(spec: WorkerSpec, url = this.nats.nodes[0]?.url ?? ''): Promise<NodeProcessType> {
    const config: NodeConfig = {
      name: spec.name,
      db: this.file(spec.name),
      url,
      owner: spec.owner ?? spec.name,
      leaseTtlMs: LEASE_TTL_MS,
      components: spec.components ?? [],
      ...(spec.checkpoint === undefined ? {} : { checkpoint: spec.checkpoint }),
    };
    const node = new NodeProcess('worker', config);
    this.#processes.push(node);
    await node.waitFor((line) => line.type === 'ready', 'ready');
    return node;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#processes.map((p) => p.kill()));
    await this.nats.stop();
    this.#dir.remove();
  }
}

/** Registers an `afterAll` that cleans the system up, and returns what starts it. */
export function useStreamCluster(): () => Promise<StreamCluster> {
  let cluster: StreamCluster | undefined;
  afterAll(async () => {
    await cluster?.cleanup();
  });
  return async () => {
    cluster = await StreamCluster.start();
    return cluster;
  };
}

/** The epochs a supervisor said it leads at, from its log lines after `from`. */
export function epochsLed(node: NodeProcessType, from = 0): number[] {
  return node.lines.slice(from).flatMap((line) => {
    const m = line.type === 'log' ? LEADS.exec(line.message) : null;
    return m ? [Number(m[1])] : [];
  });
}

/** The supervisor that leads now, by what each said last of its role (leads, steps down, stands by). */
export function currentLeader(nodes: readonly NodeProcessType[]): NodeProcessType {
  const leading = nodes.filter((node) => {
    const roles = node.lines.flatMap((line) => (line.type === 'log' && /^(leads the log|steps down|stands by)/.test(line.message) ? [line.message] : []));
    return roles.at(-1)?.startsWith('leads the log') === true;
  });
  const leader = leading.sort((a, b) => (epochsLed(b).at(-1) ?? 0) - (epochsLed(a).at(-1) ?? 0))[0];
  if (!leader) throw new Error(`no supervisor leads: ${nodes.map((node) => node.name).join(', ')}`);
  return leader;
}

/** Waits until one of `nodes` says it leads (after its line `from[i]`); resolves with it. */
export async function waitForLeader(nodes: readonly NodeProcessType[], from: readonly number[] = []): Promise<NodeProcessType> {
  return new Promise((resolve, reject) => {
    let done = false;
    let failed = 0;
    nodes.forEach((node, i) => {
      node
        .until(() => (epochsLed(node, from[i] ?? 0).length > 0 ? node : undefined), `${node.name} to lead the log`)
        .then(
          (leader) => {
            if (done) return;
            done = true;
            resolve(leader);
          },
          (error: unknown) => {
            if (++failed === nodes.length) reject(error);
          },
        );
    });
  });
}

/** The stream records a supervisor's index holds that are not events (epoch records, and any ignored ones). */
export function skippedRecords(file: string): SkippedRow[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT seq, kind, epoch, owner FROM stream_records ORDER BY seq').all() as SkippedRow[];
  } finally {
    db.close();
  }
}

/**
 * Each record of the log's stream as the stream itself holds it: its seq, kind and writer's
 * epoch. Read one message at a time (in parallel chunks), so every read is bounded by a
 * request timeout even while the cluster is missing a server.
 */
export async function streamRecords(servers: string, stream = 'recq_sss'): Promise<{ seq: number; kind: string; epoch: number }[]> {
  const nc = await connect({ servers: servers.split(',') });
  try {
    const jsm = await nc.jetstreamManager({ timeout: 5000 });
    const last = (await jsm.streams.info(stream)).state.last_seq;
    const records: { seq: number; kind: string; epoch: number }[] = [];
    for (let from = 1; from <= last; from += 200) {
      const seqs = Array.from({ length: Math.min(200, last - from + 1) }, (_, i) => from + i);
      const messages = await Promise.all(seqs.map((seq) => jsm.streams.getMessage(stream, { seq })));
      for (const m of messages) records.push({ seq: m.seq, kind: m.header?.get('Recq-Kind') ?? '', epoch: Number(m.header?.get('Recq-Epoch')) });
    }
    return records;
  } finally {
    await nc.close();
  }
}
