import { loadavg } from 'node:os';
import type { Measurement, Mode } from './modes/mode.ts';
import type { Workload } from './workloads.ts';

/** A measurement with the one-minute load average when its run started. */
export type LoadedMeasurement = Measurement & { load1: number };

/**
 * Runs the passes of one throughput workload. Within a pass, each recq mode runs right after
 * its own baseline run, and its ratio is taken against that run: a burst of other work on the
 * machine then lands on both sides of a ratio instead of on one.
 */
export async function runPasses(workload: Workload, modes: readonly Mode[], repeat: number, progress: (line: string) => void): Promise<LoadedMeasurement[][]> {
  const baseline = modes.find((m) => m.baseline);
  const others = modes.filter((m) => !m.baseline);
  const passes: LoadedMeasurement[][] = [];
  for (let r = 1; r <= repeat; r++) {
    const pass: LoadedMeasurement[] = [];
    const say = (mode: Mode) =>
      progress(`${workload.name}: ${mode.name} (${r}/${repeat}), ${workload.events.toLocaleString('en-US')} events — ${workload.description}`);
    if (others.length === 0 && baseline) {
      say(baseline);
      pass.push(...(await timed(baseline, workload)));
    }
    for (const mode of others) {
      let base: LoadedMeasurement | undefined;
      if (baseline) {
        say(baseline);
        [base] = await timed(baseline, workload);
        if (base) pass.push(base);
      }
      say(mode);
      for (const m of await timed(mode, workload)) {
        pass.push(m.endToEnd && base ? { ...m, ratio: m.events / m.seconds / (base.events / base.seconds) } : m);
      }
    }
    passes.push(pass);
  }
  return passes;
}

async function timed(mode: Mode, workload: Workload): Promise<LoadedMeasurement[]> {
  const load1 = loadavg()[0] ?? 0;
  return (await mode.run(workload)).map((m) => ({ ...m, load1 }));
}
