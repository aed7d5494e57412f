import { type JetStreamManager, type KV, type NatsConnection, RetentionPolicy, StorageType, type StreamInfo } from 'nats';
import { StreamConfigError } from '../../errors.ts';

/** Where the log and its leader's liveness live in JetStream, resolved from the options. */
export interface StreamPlace {
  stream: string;
  /** The one subject every record is published on: `<namespace>.log`. */
  subject: string;
  bucket: string;
  replicas: number;
  livenessTtlMs: number;
  ackTimeoutMs: number;
}

const STREAM_NOT_FOUND = 10059;

/**
 * Creates the log's stream if it does not exist (idempotent: every supervisor calls it on
 * start), or checks that the one there can hold the log: file storage, the log's subject,
 * deletes and purges denied, and the replicas asked for.
 */
export async function ensureLogStream(jsm: JetStreamManager, place: StreamPlace): Promise<StreamInfo> {
  let info: StreamInfo | undefined;
  try {
    info = await jsm.streams.info(place.stream);
  } catch (error) {
    if ((error as { api_error?: { err_code?: number } }).api_error?.err_code !== STREAM_NOT_FOUND) throw error;
  }
  if (!info) {
    try {
      return await jsm.streams.add({
        name: place.stream,
        subjects: [place.subject],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        num_replicas: place.replicas,
        // The log is append-only: seq is the stream sequence, and it must stay gap-free.
        deny_delete: true,
        deny_purge: true,
      });
    } catch (error) {
      // Another supervisor created it at the same moment: check what it made.
      info = await jsm.streams.info(place.stream).catch(() => {
        throw error;
      });
    }
  }
  const config = info.config;
  const mismatch = (field: string, found: unknown, wanted: unknown): never => {
    throw new StreamConfigError(place.stream, field, found, wanted);
  };
  if (config.storage !== StorageType.File) mismatch('storage', config.storage, StorageType.File);
  if (!config.subjects?.includes(place.subject)) mismatch('subjects', config.subjects, [place.subject]);
  if (!config.deny_delete) mismatch('deny_delete', config.deny_delete, true);
  if (!config.deny_purge) mismatch('deny_purge', config.deny_purge, true);
  if (config.num_replicas !== place.replicas) mismatch('replicas', config.num_replicas, place.replicas);
  return info;
}

/** The KV bucket that holds the leader's liveness entry; entries lapse after `livenessTtlMs`. */
export async function openLivenessBucket(nc: NatsConnection, place: StreamPlace): Promise<KV> {
  return nc.jetstream().views.kv(place.bucket, { ttl: place.livenessTtlMs, history: 1, replicas: place.replicas });
}
