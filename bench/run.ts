import { tmpdir } from 'node:os';
import type { Durability } from '../src/index.ts';
import { embeddedMode } from './modes/embedded.ts';
import { inMemoryMode } from './modes/in-memory.ts';
import { jetStreamMode } from './modes/jetstream.ts';
import type { Measurement, Mode } from './modes/mode.ts';
import { natsMode, natsServerVersion } from './modes/nats.ts';
import { parseOptions, USAGE, UsageError } from './options.ts';
import { machineLine, printJson, printTable, type Result, summarize } from './report.ts';
import { scaled, WORKLOADS } from './workloads.ts';

const DURABILITY: Durability = 'full';
const ALL_MODES: readonly Mode[] = [inMemoryMode, embeddedMode(DURABILITY), natsMode(DURABILITY), jetStreamMode(DURABILITY, 3)];

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message ? `${message}\n` : ''}${USAGE}\n`);
    return error instanceof UsageError && !message ? 0 : 2;
  }
  const unknown = options.only.filter((name) => !WORKLOADS.some((w) => w.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown workload ${unknown.join(', ')}; known: ${WORKLOADS.map((w) => w.name).join(', ')}\n`);
    return 2;
  }
  const unknownModes = options.modes.filter((name) => !ALL_MODES.some((m) => m.name === name));
  if (unknownModes.length > 0) {
    process.stderr.write(`unknown mode ${unknownModes.join(', ')}; known: ${ALL_MODES.map((m) => m.name).join(', ')}\n`);
    return 2;
  }
  const modes = ALL_MODES.filter((m) => options.modes.length === 0 || options.modes.includes(m.name));
  const workloads = WORKLOADS.filter((w) => options.only.length === 0 || options.only.includes(w.name)).map((w) => scaled(w, options.divisor));
  let nats: string | undefined;
  if (modes.some((m) => m.name === 'nats' || m.name.startsWith('jetstream'))) {
    try {
      nats = natsServerVersion();
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\nTo run without NATS: npm run bench -- --mode in-memory,embedded\n`);
      return 2;
    }
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const progress = (line: string) => process.stderr.write(`${line}\n`);

  out(machineLine());
  out(`durability: ${DURABILITY} (SQLite WAL, synchronous=FULL), fresh database file per run in ${tmpdir()}`);
  if (nats !== undefined) out(`nats: ${nats}, fresh server per run; supervisor in a child process, worker in the bench process`);
  out(
    `repeats: ${options.repeat} (median reported)${options.divisor > 1 ? `, quick: ${options.divisor}x fewer events` : ''}${options.warmup ? ', after one unreported warm-up pass at 1/10 scale' : ''}`,
  );
  out('');

  const results: Result[] = [];
  for (const workload of workloads) {
    if (options.warmup) {
      progress(`${workload.name}: warm-up`);
      for (const mode of modes) await mode.run(scaled(workload, 10));
    }
    const passes: Measurement[][] = [];
    for (let r = 1; r <= options.repeat; r++) {
      const pass: Measurement[] = [];
      for (const mode of modes) {
        progress(`${workload.name}: ${mode.name} (${r}/${options.repeat}), ${workload.events.toLocaleString('en-US')} events — ${workload.description}`);
        pass.push(...(await mode.run(workload)));
      }
      passes.push(pass);
    }
    results.push(...summarize(workload.name, passes, modes.find((m) => m.baseline)?.name));
  }

  printTable(results, out);
  out('');
  printJson(results, out);
  return results.every((r) => r.verified) ? 0 : 1;
}

process.exitCode = await main();
