import type { ActorView } from '../actor/actor-view.ts';
import { UnknownKeyError } from '../errors.ts';
import { ConsumerControl } from '../operator/consumer-control.ts';
import { leaseHolder } from '../operator/nats-control.ts';
import { connectTo } from '../operator/nats-target.ts';
import { askWorker } from '../operator/worker-control.ts';
import { NatsLogAccess } from '../sss/nats/log-client.ts';
import { defineCommand, UsageError } from './command.ts';
import { DEFAULT_DB, dbOrNatsFlags, FLAGS } from './flags.ts';
import { parseNatsInsteadOfDb } from './nats-target.ts';

export const queryCommand = defineCommand({
  name: 'query',
  summary: "an actor's state value, context and status (read-only); --nats: from the worker running it",
  about: `Usage: recq query <component> [key] [--db FILE | --nats URL [--namespace NS]] [--json]

Shows an actor's last checkpointed state: its state value, context, status and the seq of the
last event it applied. Give the key for a keyed component. Reads the file read-only, so it is
safe while a system runs on it (the state is the one last checkpointed).

With --nats, asks the worker that holds the consumer's lease instead: its actor's state now,
in memory if it is active.
`,
  flags: {
    ...dbOrNatsFlags('ask the worker running the component, over this NATS server'),
    json: FLAGS.json,
  },
  positionals: true,
  async run({ values, positionals }) {
    const [component, key, extra] = positionals;
    if (component === undefined) throw new UsageError('missing <component>: the consumer, as "recq status" lists it', 'query');
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, 'query');
    const nats = parseNatsInsteadOfDb('query', values);
    let view: ActorView;
    if (nats) {
      const nc = await connectTo(nats);
      try {
        const owner = await leaseHolder(new NatsLogAccess({ connection: nc, namespace: nats.namespace }), component);
        view = await askWorker(nc, nats.namespace, owner, { op: 'query', component, ...(key === undefined ? {} : { key }) });
      } finally {
        await nc.close().catch(() => {});
      }
    } else {
      view = fileView(values.db ?? DEFAULT_DB, component, key);
    }
    process.stdout.write(values.json ? `${JSON.stringify(view)}\n` : formatView(view));
    return 0;
  },
});

function fileView(db: string, name: string, key: string | undefined): ActorView {
  const control = ConsumerControl.open(db, 0);
  try {
    const { consumer, component } = control.consumer(name);
    const stored = control.reader.snapshot(consumer, key ?? '');
    if (!stored) throw new UnknownKeyError(component, key);
    const snapshot = JSON.parse(stored.snapshot) as { value?: unknown; context?: unknown; status: ActorView['status'] };
    return { component, key, value: snapshot.value, context: snapshot.context, status: snapshot.status, seq: stored.seq };
  } finally {
    control.close();
  }
}

function formatView(view: ActorView): string {
  const actor = view.key === undefined ? view.component : `${view.component} key ${JSON.stringify(view.key)}`;
  return `${actor}\nstate    ${JSON.stringify(view.value)}\nstatus   ${view.status}\nseq      ${view.seq}\ncontext  ${JSON.stringify(view.context, null, 2).replace(/\n/g, '\n         ')}\n`;
}
