import { tmpdir } from 'node:os';
import type { Durability } from '../src/index.ts';
import { type GoalRow, printGoalJson, printGoals, ratioGoals } from './goals.ts';
import { embeddedMode } from './modes/embedded.ts';
import { BASELINE_MIN_SECONDS, inMemoryMode } from './modes/in-memory.ts';
import { jetStreamMode } from './modes/jetstream.ts';
import type { Mode } from './modes/mode.ts';
import { natsMode, natsServerVersion } from './modes/nats.ts';
import { parseOptions, USAGE, UsageError } from './options.ts';
import { runPasses } from './ratio-passes.ts';
import { loadLine, machineLine, printJson, printTable, type Result, summarize } from './report.ts';
import { SCENARIOS } from './scenarios/index.ts';
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
  const known = [...WORKLOADS.map((w) => w.name), ...SCENARIOS.map((s) => s.name)];
  const unknown = options.only.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown workload ${unknown.join(', ')}; known: ${known.join(', ')}\n`);
    return 2;
  }
  const unknownModes = options.modes.filter((name) => !ALL_MODES.some((m) => m.name === name));
  if (unknownModes.length > 0) {
    process.stderr.write(`unknown mode ${unknownModes.join(', ')}; known: ${ALL_MODES.map((m) => m.name).join(', ')}\n`);
    return 2;
  }
  const modes = ALL_MODES.filter((m) => options.modes.length === 0 || options.modes.includes(m.name));
  const selected = (name: string) => options.only.length === 0 || options.only.includes(name);
  const workloads = WORKLOADS.filter((w) => selected(w.name)).map((w) => ({
    ...scaled(w, options.divisor),
    ...(options.checkpointDelayMs === undefined ? {} : { checkpoint: { maxDelayMs: options.checkpointDelayMs } }),
  }));
  const scenarios = SCENARIOS.filter((s) => (s.optIn && options.divisor === 1 ? options.only.includes(s.name) : selected(s.name)));
  let nats: string | undefined;
  if (workloads.length > 0 && modes.some((m) => m.name === 'nats' || m.name.startsWith('jetstream'))) {
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
  if (options.checkpointDelayMs !== undefined) out(`checkpoint: W1/W2 recq components use maxDelayMs ${options.checkpointDelayMs}`);
  out(`durability: ${DURABILITY} (SQLite WAL, synchronous=FULL), fresh database file per run in ${tmpdir()}`);
  if (nats !== undefined) out(`nats: ${nats}, fresh server per run; supervisor in a child process, worker in the bench process`);
  out(
    `repeats: ${options.repeat} (median reported; ratio = recq / in-memory of the same pass, run back to back; in-memory repeated to ≥ ${BASELINE_MIN_SECONDS} s)${options.divisor > 1 ? `, quick: ${options.divisor}x fewer events` : ''}${options.warmup ? ', after one unreported warm-up pass at 1/10 scale' : ''}`,
  );
  const skipped = SCENARIOS.filter((s) => s.optIn && !scenarios.includes(s) && selected(s.name));
  for (const s of skipped) out(`${s.name} (${s.description}) is not run at full size by default: --only ${s.name}, or --quick for a scaled-down run`);
  out('');

  const results: Result[] = [];
  for (const workload of workloads) {
    if (options.warmup) {
      progress(`${workload.name}: warm-up`);
      for (const mode of modes) await mode.run(scaled(workload, 10));
    }
    results.push(...summarize(workload.name, await runPasses(workload, modes, options.repeat, progress)));
  }
  const goals: GoalRow[] = ratioGoals(results);
  for (const scenario of scenarios) {
    progress(`${scenario.name}: ${scenario.description}`);
    goals.push(...(await scenario.run({ divisor: options.divisor, progress })));
  }

  if (results.length > 0) {
    printTable(results, out);
    out('');
  }
  if (goals.length > 0) {
    printGoals(goals, out);
    out('');
  }
  printJson(results, out);
  printGoalJson(goals, out);
  out('');
  out(`load average after: ${loadLine()}`);
  return results.every((r) => r.verified) && goals.every((g) => g.verified) ? 0 : 1;
}

process.exitCode = await main();
