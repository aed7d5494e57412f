import { cpus, loadavg } from 'node:os';
import type { LoadedMeasurement } from './ratio-passes.ts';

/** One throughput row: the median of its repeats, with every repeat kept for the JSON. */
export interface Result {
  bench: string;
  mode: string;
  /** Events of one run of the workload. */
  events: number;
  seconds: number;
  eventsPerSec: number;
  /** Median over the repeats of recq events/s over the in-memory events/s of the same pass. */
  ratioToInMemory: number | null;
  ratioMin: number | null;
  ratioMax: number | null;
  verified: boolean;
  durability: string;
  repeats: number;
  runs: { events: number; seconds: number; eventsPerSec: number; ratio: number | null; load1: number }[];
}

export function loadLine(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

export function machineLine(): string {
  const cpu = cpus();
  // Other work on the machine skews every figure; the load average says how busy it was.
  return `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}, ${process.platform}/${process.arch}, load average ${loadLine()}`;
}

/**
 * Folds the repeats of one workload into one row per mode. A row is verified only if every
 * repeat was; events/s is the median of the repeats' events/s, the ratio the median of the
 * pass-by-pass ratios.
 */
export function summarize(bench: string, passes: readonly LoadedMeasurement[][]): Result[] {
  const byMode = new Map<string, LoadedMeasurement[]>();
  for (const pass of passes) for (const m of pass) byMode.set(m.mode, [...(byMode.get(m.mode) ?? []), m]);
  return [...byMode.values()].map((runs) => {
    const first = runs[0] as LoadedMeasurement;
    const rates = runs.map((r) => r.events / r.seconds);
    const ratios = runs.flatMap((r) => (r.ratio === undefined ? [] : [r.ratio]));
    const eventsPerSec = median(rates);
    const perRun = first.events / (first.rounds ?? 1);
    return {
      bench,
      mode: first.mode,
      events: perRun,
      seconds: perRun / eventsPerSec,
      eventsPerSec,
      ratioToInMemory: ratios.length > 0 ? median(ratios) : null,
      ratioMin: ratios.length > 0 ? Math.min(...ratios) : null,
      ratioMax: ratios.length > 0 ? Math.max(...ratios) : null,
      verified: runs.every((r) => r.verified),
      durability: first.durability,
      repeats: runs.length,
      runs: runs.map((r) => ({
        events: r.events,
        seconds: round(r.seconds, 4),
        eventsPerSec: Math.round(r.events / r.seconds),
        ratio: r.ratio === undefined ? null : round(r.ratio, 4),
        load1: r.load1,
      })),
    };
  });
}

export function printTable(results: readonly Result[], write: (line: string) => void): void {
  const header = ['workload', 'mode', 'events', 'seconds', 'events/s', 'ratio (min–max)', 'verified'];
  const cells = results.map((r) => [
    r.bench,
    r.mode,
    r.events.toLocaleString('en-US'),
    r.seconds.toFixed(3),
    Math.round(r.eventsPerSec).toLocaleString('en-US'),
    r.ratioToInMemory === null ? '-' : `${r.ratioToInMemory.toFixed(2)} (${(r.ratioMin as number).toFixed(2)}–${(r.ratioMax as number).toFixed(2)})`,
    String(r.verified),
  ]);
  printColumns(header, cells, [0, 1, 6], write);
}

/** Text columns (by index) align left, numbers right. */
export function printColumns(header: readonly string[], cells: readonly string[][], textColumns: readonly number[], write: (line: string) => void): void {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]) =>
    c
      .map((v, i) => (textColumns.includes(i) ? v.padEnd(widths[i] as number) : v.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  write(line(header));
  write(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) write(line(c));
}

/** One JSON object per line, nothing before it, so `grep '^{'` picks them out. */
export function printJson(results: readonly Result[], write: (line: string) => void): void {
  for (const r of results) {
    write(
      JSON.stringify({
        bench: r.bench,
        mode: r.mode,
        events: r.events,
        seconds: round(r.seconds, 4),
        eventsPerSec: Math.round(r.eventsPerSec),
        ratioToInMemory: r.ratioToInMemory === null ? null : round(r.ratioToInMemory, 4),
        ratioMin: r.ratioMin === null ? null : round(r.ratioMin, 4),
        ratioMax: r.ratioMax === null ? null : round(r.ratioMax, 4),
        verified: r.verified,
        durability: r.durability,
        repeats: r.repeats,
        runs: r.runs,
      }),
    );
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
