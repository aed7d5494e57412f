import { type ClusterStatus, type LeaseView, WORKER_REPLY_WINDOW_MS } from '../operator/cluster-status.ts';
import type { StreamLogStatus } from '../sss/jetstream/stream-log-status.ts';
import { formatTable, isoTime } from './format.ts';

/** `recq status --nats` as text: the supervisor, the log, each consumer's lease and progress, and the workers. */
export function formatClusterStatus(status: ClusterStatus): string {
  const header = [
    `nats        ${status.nats} (namespace ${status.namespace})`,
    `supervisor  ${supervisorLine(status)}`,
    `head        ${status.head}`,
    `durability  ${status.durability}`,
  ].join('\n');
  const na = (value: number | string | null) => (value === null ? '-' : String(value));
  const consumers =
    status.consumers.length === 0
      ? 'No consumers: no worker has registered one with this supervisor.'
      : formatTable(
          [
            { header: 'consumer' },
            { header: 'last routed', align: 'right' },
            { header: 'owner' },
            { header: 'epoch', align: 'right' },
            { header: 'lease' },
            { header: 'offset', align: 'right' },
            { header: 'lag', align: 'right' },
            { header: 'host' },
            { header: 'actors', align: 'right' },
            { header: 'dead letters', align: 'right' },
          ],
          status.consumers.map((c) => [
            c.consumer,
            na(c.lastRouted),
            c.lease?.owner ?? '-',
            na(c.lease?.epoch ?? null),
            c.lease ? expiry(c.lease) : '-',
            na(c.offset),
            na(c.lag),
            c.hostState ?? 'no report',
            na(c.activeActors),
            na(c.deadLetters),
          ]),
        );
  const workers =
    status.workers.length === 0
      ? `No worker answered within ${WORKER_REPLY_WINDOW_MS} ms.`
      : formatTable(
          [{ header: 'worker' }, { header: 'connection' }, { header: 'since' }, { header: 'reconnects', align: 'right' }, { header: 'consumers' }],
          status.workers.map((w) => [
            w.owner,
            w.connection.state,
            isoTime(w.connection.since),
            String(w.connection.reconnects),
            w.error === undefined ? w.consumers.map((c) => `${c.consumer} (${c.hostState})`).join(', ') || '-' : `unreadable: ${w.error}`,
          ]),
        );
  const log = status.jetstream
    ? `\n\n${formatStreamLog(status.jetstream)}`
    : status.jetstreamUnreadable === null
      ? ''
      : `\n\nlog         JetStream not readable: ${status.jetstreamUnreadable}`;
  return `${header}${log}\n\n${consumers}\n\n${workers}\n`;
}

/** On JetStream the stream decides who leads (no lease on the log): the leader and its epoch. */
function supervisorLine(status: ClusterStatus): string {
  if (status.unanswered !== null) return `none answers: ${status.unanswered}`;
  const state = status.supervisor ? `, ${status.supervisor}` : '';
  if (status.jetstream)
    return status.jetstream.leader === null ? `none reports that it leads${state}` : `${status.jetstream.leader}${state} (epoch ${status.jetstream.epoch})`;
  return status.log ? `${status.log.owner}${state} (lease on the log: epoch ${status.log.epoch}, ${expiry(status.log)})` : 'holds no lease on the log';
}

function formatStreamLog(log: StreamLogStatus): string {
  const ago = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s ago`);
  const leads = log.leader === null ? 'no supervisor reports that it leads' : `${log.leader} leads at epoch ${log.epoch}`;
  const supervisors =
    log.supervisors.length === 0
      ? 'No supervisor has reported itself.'
      : formatTable(
          [
            { header: 'supervisor' },
            { header: 'role' },
            { header: 'epoch', align: 'right' },
            { header: 'indexed', align: 'right' },
            { header: 'behind', align: 'right' },
            { header: 'reported' },
          ],
          log.supervisors.map((s) => [s.owner, s.role, String(s.epoch), String(s.indexed), String(s.behind), ago(s.reportedMsAgo)]),
        );
  const servers = formatTable(
    [{ header: 'stream server' }, { header: 'role' }, { header: 'current' }, { header: 'lag', align: 'right' }, { header: 'active' }],
    log.servers.map((r) => [r.server, r.role, r.offline ? 'offline' : r.current ? 'yes' : 'no', r.lag === null ? '-' : String(r.lag), ago(r.activeMsAgo)]),
  );
  return `log         JetStream stream ${log.stream}, R${log.replicas}, last seq ${log.lastSeq}; ${leads}\n\n${supervisors}\n\n${servers}`;
}

/** Releasing a lease zeroes its expiry: "released" reads better than a time in 1970. */
function expiry(lease: LeaseView): string {
  if (lease.expiresAt <= 0) return 'released';
  const seconds = (Math.abs(lease.expiresInMs) / 1000).toFixed(1);
  return lease.expired ? `expired ${seconds} s ago` : `expires in ${seconds} s`;
}
