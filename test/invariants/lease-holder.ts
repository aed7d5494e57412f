// A process that holds a system's leases: it starts a system on argv[2] (lease TTL argv[3] ms),
// applies three events, prints "ready", and runs until it is killed.
import { createSystem, silentLogger } from '../../src/index.ts';
import { recorder } from './fixtures.ts';

const [db, ttl] = process.argv.slice(2);
const system = await createSystem({ db: db as string, components: [recorder()], leaseTtlMs: Number(ttl), logger: silentLogger });
for (const amount of [1, 2, 3]) await system.publish('inv.a', { type: 'add', amount }, { key: 'k' });
await system.settled();
process.stdout.write('ready\n');
