/**
 * The supervisor of the NATS bench, run as a child process:
 *
 *   node --import tsx bench/modes/nats-supervisor.ts <db> <url> <namespace> [durability] [replicas]
 *
 * With `replicas`, the log is a JetStream stream of that many copies (`url` may list several
 * servers, comma-separated) and `db` holds its index; otherwise it serves the log in `db` on the NATS server at `url`, prints `ready` once workers can reach
 * it, and stops cleanly (committing and giving up its lease) on SIGTERM, SIGINT or when its
 * stdin closes, so it does not outlive a bench process that died without stopping it.
 */
import { consoleLogger, type Durability, startSupervisor } from '../../src/index.ts';

const USAGE = 'usage: nats-supervisor.ts <db> <url> <namespace> [durability] [replicas]';

async function main(): Promise<void> {
  const [db, url, namespace, durability = 'full', replicas] = process.argv.slice(2);
  if (!db || !url || !namespace) throw new Error(USAGE);
  const jetstream = replicas === undefined ? {} : { jetstream: { replicas: Number(replicas) } };
  const supervisor = await startSupervisor({
    db,
    nats: { servers: url.split(','), namespace, ...jetstream },
    durability: durability as Durability,
    logger: consoleLogger('error'),
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= supervisor.stop().finally(() => process.stdin.destroy());
    return stopping;
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.stdin.once('end', () => void stop()).resume();
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`nats-supervisor: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
