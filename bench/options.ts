import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Workload names to run; empty runs all. */
  only: string[];
  /** Mode names to run; empty runs all. Without the baseline, rows have no ratio. */
  modes: string[];
  repeat: number;
  /** Divide every workload's event count by this (10 with --quick). */
  divisor: number;
  warmup: boolean;
  /** Checkpoint delay for the recq modes of W1 and W2; undefined keeps the system default (10 ms). */
  checkpointDelayMs: number | undefined;
}

export const USAGE = `usage: npm run bench -- [--only W1[,W2]] [--mode embedded[,nats]] [--repeat N] [--quick] [--no-warmup]
  --only W1      run only these workloads (repeatable or comma-separated)
  --mode NAME    run only these modes: in-memory, embedded, nats, jetstream-r3 (default all; e.g. to profile one)
  --repeat N     run each workload N times and report the median (default 1)
  --quick        10x fewer events, for a smoke run
  --no-warmup    skip the unreported 1/10-scale warm-up pass
  --checkpoint-delay-ms N   W1/W2 recq modes checkpoint with maxDelayMs N (0: after every batch)`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string', multiple: true },
      mode: { type: 'string', multiple: true },
      repeat: { type: 'string' },
      quick: { type: 'boolean' },
      'no-warmup': { type: 'boolean' },
      'checkpoint-delay-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) throw new UsageError('');
  const repeat = Number(values.repeat ?? '1');
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError(`--repeat must be a positive integer, got ${JSON.stringify(values.repeat)}`);
  const delay = values['checkpoint-delay-ms'] === undefined ? undefined : Number(values['checkpoint-delay-ms']);
  if (delay !== undefined && !(delay >= 0))
    throw new UsageError(`--checkpoint-delay-ms must be a number ≥ 0, got ${JSON.stringify(values['checkpoint-delay-ms'])}`);
  return {
    checkpointDelayMs: delay,
    only: list(values.only).map((v) => v.toUpperCase()),
    modes: list(values.mode),
    repeat,
    divisor: values.quick ? 10 : 1,
    warmup: !values['no-warmup'],
  };
}

function list(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export class UsageError extends Error {}
