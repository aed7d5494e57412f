import { InvalidOptionError } from '../../errors.ts';
import { DEFAULT_NAMESPACE } from '../../nats/subjects.ts';
import type { StreamPlace } from './stream-setup.ts';

const NAME = /^[A-Za-z0-9_-]+$/;
const DEFAULT_ACK_TIMEOUT_MS = 5000;

/** Where a distributed system's log lives when it is a JetStream stream. */
export interface JetStreamOptions {
  /** The stream's name. Default `<namespace>_sss` (e.g. `recq_sss`). */
  stream?: string;
  /** Copies of the stream (and the liveness bucket) on different servers: 1 on a single server, 3 on a cluster. Default 1. */
  replicas?: number;
  /** The KV bucket that holds the leader's liveness entry. Default `<namespace>_supervisors`. */
  bucket?: string;
  /** How long the leader's liveness entry lives without a renewal before a standby may take over. Default `leaseTtlMs`. */
  livenessTtlMs?: number;
  /** How long an append waits for the stream's acknowledgement before the leader sends it again (same id and expectations). Default 5000 ms. */
  ackTimeoutMs?: number;
}

/**
 * Where the log of `namespace` lives in JetStream: the stream `<namespace>_sss` on the subject
 * `<namespace>.log`, the liveness bucket `<namespace>_supervisors`, unless the options name
 * others. Checks every option before anything is created.
 *
 * @example
 * resolveStreamPlace({ replicas: 3 }, 'shop', 15_000); // { stream: 'shop_sss', subject: 'shop.log', replicas: 3, ... }
 */
export function resolveStreamPlace(options: JetStreamOptions | true, namespace: string | undefined, leaseTtlMs: number): StreamPlace {
  const o: JetStreamOptions = options === true ? {} : options;
  if (typeof o !== 'object' || o === null)
    throw new InvalidOptionError('nats.jetstream', o, 'expected true or { stream?, replicas?, bucket?, livenessTtlMs?, ackTimeoutMs? }');
  const ns = namespace ?? DEFAULT_NAMESPACE;
  const token = ns.replace(/[^A-Za-z0-9_-]/g, '_');
  const stream = o.stream ?? `${token}_sss`;
  const bucket = o.bucket ?? `${token}_supervisors`;
  if (typeof stream !== 'string' || !NAME.test(stream)) throw new InvalidOptionError('nats.jetstream.stream', stream, 'expected letters, digits, "_" or "-"');
  if (typeof bucket !== 'string' || !NAME.test(bucket)) throw new InvalidOptionError('nats.jetstream.bucket', bucket, 'expected letters, digits, "_" or "-"');
  const replicas = o.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)
    throw new InvalidOptionError('nats.jetstream.replicas', replicas, 'expected 1 to 5 (3 on a 3-node cluster)');
  const livenessTtlMs = o.livenessTtlMs ?? leaseTtlMs;
  if (typeof livenessTtlMs !== 'number' || !(livenessTtlMs >= 100))
    throw new InvalidOptionError('nats.jetstream.livenessTtlMs', livenessTtlMs, 'expected at least 100 ms');
  const ackTimeoutMs = o.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  if (typeof ackTimeoutMs !== 'number' || !(ackTimeoutMs > 0))
    throw new InvalidOptionError('nats.jetstream.ackTimeoutMs', ackTimeoutMs, 'expected a positive number of ms');
  return { stream, subject: `${ns}.log`, bucket, replicas, livenessTtlMs, ackTimeoutMs };
}
