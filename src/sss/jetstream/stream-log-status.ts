import type { NatsConnection, StreamInfo } from 'nats';
import { resolveStreamPlace } from './stream-place.ts';
import { type SupervisorReport, SupervisorReports } from './supervisor-reports.ts';

/** JetStream's code for a stream (or a KV bucket, which is one) that does not exist. */
const STREAM_NOT_FOUND = 10059;
const NANOS_PER_MS = 1_000_000;

/** A supervisor of the shared log, as its last report says, with how far its index is behind the stream. */
export interface SupervisorView extends SupervisorReport {
  /** The stream's last seq minus the last seq in its index. */
  behind: number;
  /** How long ago it reported, by the reader's clock. */
  reportedMsAgo: number;
}

/** One server that holds a replica of the log's stream. */
export interface StreamReplicaView {
  server: string;
  role: 'leader' | 'follower';
  /** Whether the replica has applied everything the stream's leader has (a follower; the leader always is). */
  current: boolean;
  /** Raft entries it is behind the leader (a follower's). */
  lag: number | null;
  /** How long ago the leader last heard from it (a follower's). */
  activeMsAgo: number | null;
  offline: boolean;
}

/** What `recq status --nats` shows of a log kept in a JetStream stream. */
export interface StreamLogStatus {
  stream: string;
  replicas: number;
  lastSeq: number;
  /** The supervisor leading at the newest epoch any supervisor reports, and that epoch. */
  leader: string | null;
  epoch: number | null;
  supervisors: SupervisorView[];
  servers: StreamReplicaView[];
  /** The version of the nats-server that answered. */
  serverVersion: string;
  /** What an acknowledged append means here. */
  durability: string;
}

/**
 * Reads the log's stream of `namespace` (the default stream and bucket names) and the reports
 * of its supervisors. Undefined when there is no such stream (the log is in the supervisor's
 * SQLite file) or the server has no JetStream.
 *
 * @example
 * const log = await readStreamLogStatus(nc, 'shop');
 * if (log) console.log(`${log.leader} leads at epoch ${log.epoch}, R${log.replicas}`);
 */
export async function readStreamLogStatus(nc: NatsConnection, namespace: string, now: () => number = Date.now): Promise<StreamLogStatus | undefined> {
  const place = resolveStreamPlace(true, namespace, 15_000);
  let info: StreamInfo;
  try {
    const jsm = await nc.jetstreamManager({ timeout: 2000 });
    info = await jsm.streams.info(place.stream);
  } catch (error) {
    if (errorCode(error) === STREAM_NOT_FOUND || isNoJetStream(error)) return undefined;
    throw error;
  }
  let reports: SupervisorReport[] = [];
  try {
    reports = await new SupervisorReports(await nc.jetstream().views.kv(place.bucket, { bindOnly: true })).all();
  } catch (error) {
    // A stream without its bucket: no supervisor has reported yet.
    if (errorCode(error) !== STREAM_NOT_FOUND && !/not found/i.test(String(error))) throw error;
  }
  const at = now();
  const lastSeq = info.state.last_seq;
  const supervisors = reports.map((r): SupervisorView => ({ ...r, behind: Math.max(0, lastSeq - r.indexed), reportedMsAgo: Math.max(0, at - r.time) }));
  const leading = supervisors.filter((s) => s.role === 'leading').sort((a, b) => b.epoch - a.epoch)[0];
  const cluster = info.cluster;
  const servers: StreamReplicaView[] = [
    ...(cluster?.leader ? [{ server: cluster.leader, role: 'leader' as const, current: true, lag: null, activeMsAgo: null, offline: false }] : []),
    ...(cluster?.replicas ?? []).map(
      (peer): StreamReplicaView => ({
        server: peer.name,
        role: 'follower',
        current: peer.current,
        // The server leaves lag out when it is 0.
        lag: peer.lag ?? 0,
        activeMsAgo: typeof peer.active === 'number' ? Math.round(peer.active / NANOS_PER_MS) : null,
        offline: peer.offline ?? false,
      }),
    ),
  ];
  const serverVersion = nc.info?.version ?? 'unknown';
  return {
    stream: place.stream,
    replicas: info.config.num_replicas,
    lastSeq,
    leader: leading?.owner ?? null,
    epoch: leading?.epoch ?? null,
    supervisors,
    servers,
    serverVersion,
    durability: streamDurability(info.config.num_replicas, serverVersion),
  };
}

/** What an ack means for a stream of `replicas` on nats-server `version`. */
export function streamDurability(replicas: number, version: string): string {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const held =
    replicas > 1
      ? `in memory on a majority (${Math.floor(replicas / 2) + 1} of ${replicas}) of the stream's servers`
      : 'in memory on the one server of the stream';
  const sync =
    major > 2 || (major === 2 && minor >= 10)
      ? `the file store syncs on its sync_interval (2 min by default; "always" syncs each write)`
      : `the file store syncs every 60 s (nats-server ${version}; per-write sync is 2.10+)`;
  return `ack = ${held}; ${sync}`;
}

/** What an ack means when the log is the supervisor's SQLite file. */
export const SQLITE_DURABILITY = "ack = committed in the supervisor's SQLite file, fsync'd (unless it runs with durability may-lose-on-power-loss)";

const errorCode = (error: unknown): number | undefined => (error as { api_error?: { err_code?: number } })?.api_error?.err_code;
/** A server without JetStream answers no JetStream request (503, or none at all). */
const isNoJetStream = (error: unknown): boolean =>
  /503|no responders|jetstream not enabled/i.test(String((error as { code?: unknown })?.code ?? '') + String(error));
