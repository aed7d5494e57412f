/**
 * Which of recq's own files one event passes from `publish` to its checkpoint: V8's precise
 * coverage is reset after a warm-up, one event is published to a keyed component that emits one
 * event of its own, and the files whose functions ran until both are checkpointed are listed.
 *
 *   node --import tsx bench/event-path.ts            # embedded, the in-process bus
 *   node --import tsx bench/event-path.ts --nats URL # supervisor and host in one process, over NATS
 *   ... --json                                       # the files as JSON
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assign, emit, setup } from 'xstate';
import { createSystem, defineComponent, type System } from '../src/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const natsAt = args.indexOf('--nats');
const servers = natsAt >= 0 ? (args[natsAt + 1] ?? 'nats://127.0.0.1:4222') : undefined;

const counter = setup({
  types: {} as { context: { n: number }; events: { type: 'add'; by: number } },
}).createMachine({
  context: { n: 0 },
  on: { add: { actions: [assign({ n: ({ context, event }) => context.n + event.by }), emit({ type: 'counted' })] } },
});
const counters = defineComponent({ name: 'counters', logic: counter, subscribe: 'counters.add', key: true, checkpoint: { maxDelayMs: 0 } });

/** Resolves once the consumer's checkpoint has reached `seq`, watching the live view (which checkpoints update). */
function checkpointed(system: System, seq: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => (system.view.getSnapshot().context.consumers.counters?.committedOffset ?? 0) >= seq;
    if (done()) return resolve();
    const subscription = system.view.subscribe(() => {
      if (!done()) return;
      subscription.unsubscribe();
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'recq-path-'));
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  const system = await createSystem({
    db: join(dir, 'path.db'),
    components: [counters],
    ...(servers ? { nats: { servers, namespace: `path${process.pid}` } } : {}),
  });
  try {
    // Warm-up: every module is loaded and every lazy path taken once before the count starts.
    for (let i = 1; i <= 3; i++) {
      const { seq } = await system.publish('counters.add', { type: 'add', by: 1 }, { key: `warm-${i}` });
      while ((await system.head()) < seq + 1) await new Promise((r) => setImmediate(r));
      await checkpointed(system, seq);
    }
    await session.post('Profiler.takePreciseCoverage');
    const { seq } = await system.publish('counters.add', { type: 'add', by: 1 }, { key: 'k' });
    // The emitted `counted` event is seq + 1: the path ends once the relay (if any) has it in the log.
    while ((await system.head()) < seq + 1) await new Promise((r) => setImmediate(r));
    await checkpointed(system, seq);
    const { result } = await session.post('Profiler.takePreciseCoverage');
    const files = new Set<string>();
    for (const script of result) {
      if (!script.url.startsWith('file://')) continue;
      const path = relative(root, fileURLToPath(script.url)).split(sep).join('/');
      if (!/^(src|actors)\//.test(path)) continue;
      if (script.functions.some((f) => (f.ranges[0]?.count ?? 0) > 0)) files.add(path);
    }
    const sorted = [...files].sort();
    const folders = new Set(sorted.map((f) => f.split('/').slice(0, -1).join('/')));
    if (args.includes('--json'))
      process.stdout.write(`${JSON.stringify({ deployment: servers ? 'nats' : 'embedded', files: sorted, folders: [...folders].sort() }, null, 2)}\n`);
    else {
      process.stdout.write(`${servers ? 'over NATS' : 'embedded'}: ${sorted.length} files in ${folders.size} folders\n`);
      for (const f of sorted) process.stdout.write(`  ${f}\n`);
    }
  } finally {
    await system.stop();
    session.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
