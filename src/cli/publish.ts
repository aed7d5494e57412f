import type { AppendResult } from '../envelope.ts';
import { LogInUseError } from '../errors.ts';
import { silentLogger } from '../logging/logger.ts';
import { connectTo } from '../operator/nats-target.ts';
import { StoreReader } from '../operator/store-reader.ts';
import { ownerIsGone } from '../owner.ts';
import { NatsLogAccess } from '../sss/nats/log-client.ts';
import { createSystem } from '../system/system.ts';
import { defineCommand, UsageError } from './command.ts';
import { DEFAULT_DB, dbOrNatsFlags, FLAGS } from './flags.ts';
import { parseNatsInsteadOfDb } from './nats-target.ts';

export const publishCommand = defineCommand({
  name: 'publish',
  summary: 'append one event to the log: to a file no system holds, or through the supervisor (--nats)',
  about: `Usage: recq publish <topic> <json> [--key K] [--id ID] [--db FILE | --nats URL [--namespace NS]]

Appends one event, a JSON object with a "type", on <topic>, and prints its seq. With --id, an
event already in the log under that id is not appended again (its seq is printed).

With --db (the default ./recq.db), appends through a short-lived system on the file, which
takes the log's lease: refused while a running system holds it (publish from that system, or
through its supervisor with --nats). The components of that system apply it when it next
starts. With --nats, appends through the running supervisor.
`,
  flags: {
    key: { type: 'string', usage: '--key K', help: "the event's key (a keyed component's actor)" },
    id: { type: 'string', usage: '--id ID', help: "the event's idempotency key (default: a new one)" },
    ...dbOrNatsFlags('append through the supervisor on this NATS server'),
    json: { ...FLAGS.json, help: 'print { seq, id, duplicate }' },
  },
  positionals: true,
  async run({ values, positionals }) {
    const [topic, json, extra] = positionals;
    if (topic === undefined) throw new UsageError('missing <topic>: where to publish, e.g. orders.placed', 'publish');
    if (json === undefined) throw new UsageError('missing <json>: the event, e.g. \'{"type":"order.placed"}\'', 'publish');
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, 'publish');
    let event: unknown;
    try {
      event = JSON.parse(json);
    } catch (error) {
      throw new UsageError(`<json> is not JSON: ${error instanceof Error ? error.message : String(error)}`, 'publish');
    }
    const input = { topic, event, ...(values.key === undefined ? {} : { key: values.key }), ...(values.id === undefined ? {} : { id: values.id }) };
    const nats = parseNatsInsteadOfDb('publish', values);
    let result: AppendResult | undefined;
    if (nats) {
      const nc = await connectTo(nats);
      try {
        [result] = await new NatsLogAccess({ connection: nc, namespace: nats.namespace }).append([input as never]);
      } finally {
        await nc.close().catch(() => {});
      }
    } else {
      result = await publishToFile(values.db ?? DEFAULT_DB, input);
    }
    if (!result) throw new UsageError('the log returned no result for the event', 'publish');
    process.stdout.write(
      values.json ? `${JSON.stringify(result)}\n` : `${result.duplicate ? 'Already in the log' : 'Published'}: seq ${result.seq}, id ${result.id}.\n`,
    );
    return 0;
  },
});

async function publishToFile(db: string, input: { topic: string; event: unknown; key?: string; id?: string }): Promise<AppendResult | undefined> {
  const reader = StoreReader.open(db);
  const file = reader.file;
  try {
    const held = reader.leases(Date.now()).find((l) => l.resource === 'log' && !l.expired && !ownerIsGone(l.owner));
    if (held) throw new LogInUseError(file, held.owner, held.expiresAt);
  } finally {
    reader.close();
  }
  const system = await createSystem({ db: file, components: [], logger: silentLogger });
  try {
    return await system.publish(input.topic, input.event as never, {
      ...(input.key === undefined ? {} : { key: input.key }),
      ...(input.id === undefined ? {} : { id: input.id }),
    });
  } finally {
    await system.stop();
  }
}
