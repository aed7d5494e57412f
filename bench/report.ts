import { cpus, loadavg } from 'node:os';
import type { Measurement } from './modes/mode.ts';

/** One reported row: the median of its repeats. */
export interface Result {
  bench: string;
  mode: string;
  events: number;
  seconds: number;
  eventsPerSec: number;
  /** recq events/s over in-memory events/s, for end-to-end rows. */
  ratioToInMemory: number | null;
  verified: boolean;
  durability: string;
  repeats: number;
}

export function machineLine(): string {
  const cpu = cpus();
  // Other work on the machine skews every figure; the load average says how busy it was.
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}, ${process.platform}/${process.arch}, load average ${load}`;
}

/**
 * Folds the repeats of one workload into one row per mode. A row is verified only if every
 * repeat was; seconds is the median.
 */
export function summarize(bench: string, repeats: readonly Measurement[][], baselineMode: string | undefined): Result[] {
  const byMode = new Map<string, Measurement[]>();
  for (const pass of repeats) for (const m of pass) byMode.set(m.mode, [...(byMode.get(m.mode) ?? []), m]);
  const rows = [...byMode.values()].map((runs) => {
    const first = runs[0] as Measurement;
    const seconds = median(runs.map((r) => r.seconds));
    return {
      first,
      row: { bench, mode: first.mode, events: first.events, seconds, eventsPerSec: first.events / seconds, verified: runs.every((r) => r.verified) },
    };
  });
  const baseline = rows.find((r) => r.first.mode === baselineMode)?.row.eventsPerSec;
  return rows.map(({ first, row }) => ({
    ...row,
    ratioToInMemory: first.endToEnd && first.mode !== baselineMode && baseline !== undefined ? row.eventsPerSec / baseline : null,
    durability: first.durability,
    repeats: repeats.length,
  }));
}

export function printTable(results: readonly Result[], write: (line: string) => void): void {
  const header = ['workload', 'mode', 'events', 'seconds', 'events/s', 'ratio', 'verified'];
  const cells = results.map((r) => [
    r.bench,
    r.mode,
    r.events.toLocaleString('en-US'),
    r.seconds.toFixed(3),
    Math.round(r.eventsPerSec).toLocaleString('en-US'),
    r.ratioToInMemory === null ? '-' : r.ratioToInMemory.toFixed(3),
    String(r.verified),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  // Text columns align left, numbers right.
  const line = (c: readonly string[]) => c.map((v, i) => (i < 2 || i === 6 ? v.padEnd(widths[i] as number) : v.padStart(widths[i] as number))).join('  ');
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
        verified: r.verified,
        durability: r.durability,
        repeats: r.repeats,
      }),
    );
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
