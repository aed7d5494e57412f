/**
 * A worker process: `node --import tsx test/distributed/worker.ts '<NodeConfig as JSON>'`.
 * Runs the named fixture components (none makes it a plain producer), answers commands on
 * stdin, and can stream producer events, reporting each acknowledged batch.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type AppendInput, type Component, type ReadQuery, type System, startWorker } from '../../src/index.ts';
import { recorder, tally } from '../invariants/fixtures.ts';
import { connectWatched, emit, failureOf, lineLogger, readConfig, reportHostStates, run, serve } from './child.ts';
import { type ComponentName, type StreamPlan, streamInput } from './protocol.ts';

/** A producer that backs off briefly between attempts, as a client of a briefly absent supervisor would. */
const RETRY_DELAY_MS = 50;

function componentsOf(names: readonly ComponentName[], checkpoint: { maxEvents?: number; maxDelayMs?: number } | undefined): Component[] {
  return names.map((name) => (name === 'recorder' ? recorder(checkpoint) : tally()));
}

async function produce(system: System, plan: StreamPlan, stopped: () => boolean): Promise<void> {
  let next = plan.from;
  const end = plan.from + plan.count;
  const lane = async (): Promise<void> => {
    while (next < end) {
      const first = next;
      next = Math.min(end, first + plan.batch);
      const inputs: AppendInput[] = [];
      for (let i = first; i < next; i++) inputs.push(streamInput(plan, i));
      const ids = inputs.map((input) => input.id as string);
      for (;;) {
        if (stopped()) return;
        try {
          const results = await system.publishMany(inputs);
          emit({ type: 'ack', ids, seqs: results.map((r) => r.seq) });
          break;
        } catch (error) {
          emit({ type: 'refused', ids, error: failureOf(error) });
          await delay(RETRY_DELAY_MS);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: plan.inFlight }, lane));
  if (!stopped()) emit({ type: 'produced', prefix: plan.prefix, count: plan.count });
}

run(async () => {
  const config = readConfig();
  const nc = await connectWatched(config.url);
  let stopped = false;
  const system = await startWorker({
    db: config.db,
    nats: { connection: nc, ...(config.namespace === undefined ? {} : { namespace: config.namespace }) },
    components: componentsOf(config.components ?? [], config.checkpoint),
    owner: config.owner,
    leaseTtlMs: config.leaseTtlMs,
    logger: lineLogger,
    ...(config.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: config.maxPayloadBytes }),
  });
  reportHostStates(system);
  const end = (how: 'stop' | 'halt') => async () => {
    stopped = true;
    await system[how]();
    await nc.close();
  };
  serve(
    {
      status: () => system.status(),
      settled: () => system.settled(),
      head: () => system.head(),
      routes: () => system.routes(),
      events: (args) => system.events(args as ReadQuery),
      query: (args) => system.query(args.component as string, args.key as string | undefined),
      publish: (args) => system.publishMany(args.inputs as AppendInput[]),
      stream: (args) => {
        void produce(system, args as unknown as StreamPlan, () => stopped);
        return null;
      },
    },
    end('stop'),
    end('halt'),
  );
  emit({ type: 'ready', name: config.name, pid: process.pid, components: [...system.components] });
});
