import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Children, useChildren } from '../support/child-process.ts';
import { TempDir } from '../support/temp-dir.ts';
import { type CanonicalRun, canonicalize, countCalls, differences, type Lifetime } from './compare.ts';
import type { RunResult } from './worker.ts';
import { callLogOf } from './workload.ts';

const TOTAL_EVENTS = 4000;
const PLANNED_KILLS = 24;
const REQUIRED_KILLS = 20;
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

const seed = process.env.RECQ_CRASH_SEED === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(process.env.RECQ_CRASH_SEED);

/** Small seeded PRNG (mulberry32), so the kill plan of a failing run can be replayed. */
function seededRandom(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface LifeOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** The checkpoint commit the process was inside when it died, if any. */
  openCommit: { consumer: string; offset: number } | undefined;
  /** The log's head when it started, and the calls its children made. */
  life: Lifetime;
}

/** The calls in a file's call log, one effect id a line (a line is whole once its newline is written). */
function readCallLog(db: string): string[] {
  const file = callLogOf(db);
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.pop();
  return lines;
}

/**
 * Runs one worker lifetime. `onLine` sees every stdout line and may kill the process; lines
 * that arrive after the kill are still reported, as they are what the process did before it died.
 */
async function runLife(
  children: Children,
  db: string,
  checkpointMaxEvents: number,
  resultFile: string,
  onLine: (line: string, kill: () => void) => void,
): Promise<LifeOutcome> {
  const callsBefore = readCallLog(db).length;
  const child = children.start({
    name: 'crash worker',
    script: workerScript,
    args: [db, String(TOTAL_EVENTS), String(checkpointMaxEvents), resultFile],
    cwd: REPO,
  });
  let openCommit: LifeOutcome['openCommit'];
  let head: number | undefined;
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    child.kill('SIGKILL');
  };
  child.onLine((line) => {
    const [word, consumer, offset] = line.split(' ');
    if (word === 'commit+') openCommit = { consumer: consumer as string, offset: Number(offset) };
    if (word === 'commit-') openCommit = undefined;
    if (word === 'opened') head = Number(line.slice('opened '.length));
    onLine(line, kill);
  });
  const { code, signal, stderr } = await child.exited;
  return { code, signal, stderr, openCommit, life: { head, calls: readCallLog(db).slice(callsBefore) } };
}

async function runToCompletion(
  children: Children,
  db: string,
  checkpointMaxEvents: number,
  resultFile: string,
): Promise<{ result: RunResult; life: Lifetime }> {
  const outcome = await runLife(children, db, checkpointMaxEvents, resultFile, () => {});
  if (outcome.code !== 0) throw new Error(`worker exited with ${outcome.code ?? outcome.signal}: ${outcome.stderr}`);
  return { result: JSON.parse(readFileSync(resultFile, 'utf8')) as RunResult, life: outcome.life };
}

interface CrashStats {
  kills: number;
  signals: (NodeJS.Signals | null)[];
  /** Kills that landed between the start and the end of a checkpoint commit. */
  insideCommit: number;
  /** Of those, how many had reached SQLite (the restart found the commit's offset) and how many had not. */
  commitLanded: number;
  commitLost: number;
  lives: number;
  /** Progress at each kill, in % of the uncrashed run's work. */
  killedAt: number[];
}

/**
 * Kill plan: the run's progress is the sum of the consumers' committed offsets (read from the
 * commit lines), and `PLANNED_KILLS` targets are drawn uniformly over 2–97 % of the reference
 * run's final sum. Each lifetime runs until the next target is passed, then is killed either a
 * random 0–3 output lines later or at its next checkpoint commit, so that part of the kills land
 * inside a commit. Each lifetime also draws its own checkpoint size.
 */
async function crashRun(
  children: Children,
  db: string,
  resultFile: string,
  finalProgress: number,
  random: () => number,
): Promise<{ result: RunResult; stats: CrashStats; lives: Lifetime[] }> {
  const targets = Array.from({ length: PLANNED_KILLS }, () => Math.floor((0.02 + 0.95 * random()) * finalProgress)).sort((a, b) => a - b);
  const offsets = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const stats: CrashStats = { kills: 0, signals: [], insideCommit: 0, commitLanded: 0, commitLost: 0, lives: 0, killedAt: [] };
  const progress = () => [...offsets.values()].reduce((sum, offset) => sum + offset, 0);
  const lives: Lifetime[] = [];

  const track = (line: string) => {
    const [word, consumer, offsetText] = line.split(' ');
    if (word !== 'restored' && word !== 'commit-') return;
    const offset = Number(offsetText);
    offsets.set(consumer as string, offset);
    const pending = inFlight.get(consumer as string);
    if (word === 'restored' && pending !== undefined) {
      inFlight.delete(consumer as string);
      if (offset >= pending) stats.commitLanded++;
      else stats.commitLost++;
    }
  };

  for (const target of targets) {
    const maxEvents = 7 + Math.floor(random() * 44);
    const killAtCommit = random() < 0.5;
    let linesToSkip = Math.floor(random() * 4);
    let triggered = false;
    stats.lives++;
    const outcome = await runLife(children, db, maxEvents, resultFile, (line, kill) => {
      track(line);
      if (line === 'final') return;
      triggered ||= progress() >= target;
      if (!triggered) return;
      if (killAtCommit ? line.startsWith('commit+') : linesToSkip-- <= 0) {
        if (stats.killedAt.length < stats.lives) stats.killedAt.push(Math.round((100 * progress()) / finalProgress));
        kill();
      }
    });
    lives.push(outcome.life);
    if (outcome.signal === null) {
      if (outcome.code !== 0) throw new Error(`worker exited with ${outcome.code} (seed ${seed}): ${outcome.stderr}`);
      // The target lay past the end of this lifetime's work: it finished before the kill.
      return { result: JSON.parse(readFileSync(resultFile, 'utf8')) as RunResult, stats, lives };
    }
    stats.kills++;
    stats.signals.push(outcome.signal);
    if (outcome.openCommit) {
      stats.insideCommit++;
      inFlight.set(outcome.openCommit.consumer, outcome.openCommit.offset);
    }
  }
  stats.lives++;
  const outcome = await runLife(children, db, 7 + Math.floor(random() * 44), resultFile, track);
  lives.push(outcome.life);
  if (outcome.code !== 0) throw new Error(`worker exited with ${outcome.code ?? outcome.signal} (seed ${seed}): ${outcome.stderr}`);
  return { result: JSON.parse(readFileSync(resultFile, 'utf8')) as RunResult, stats, lives };
}

function expectSameRun(label: string, reference: CanonicalRun, run: CanonicalRun): void {
  expect(run.problems, `${label}: the log or the consumers are inconsistent (seed ${seed})`).toEqual([]);
  expect(differences('event', reference.events, run.events), `${label}: the log differs from the uncrashed run (seed ${seed})`).toEqual([]);
  expect(differences('stream', reference.streams, run.streams), `${label}: one key's events are in another order (seed ${seed})`).toEqual([]);
  expect(differences('actor', reference.actors, run.actors), `${label}: an actor's final snapshot differs from the uncrashed run (seed ${seed})`).toEqual([]);
  expect(run.emitted, `${label}: emitted events (seed ${seed})`).toBe(reference.emitted);
  expect(run.inputs, `${label}: input records (seed ${seed})`).toBe(reference.inputs);
}

interface AccContext {
  count: number;
  sum: number;
  calls: number;
  callSum: number;
  ticks: number;
  tickSum: number;
  echoes: number;
  echoesDue: number;
}

/** The worker as one script for node (see the `beforeAll` below). */
let workerScript: string;

describe('crash safety', () => {
  const dir = new TempDir();
  // The worker and the sources it imports, in one file that node runs as it is: a lifetime then
  // starts in about a third of the time that loading the sources one by one through tsx takes,
  // and a run has up to 27 lifetimes. The file is written under the repository's .scratch/, so
  // that its packages (node_modules) resolve as the sources' do.
  const bundleDir = (() => {
    const scratch = path.join(REPO, '.scratch');
    mkdirSync(scratch, { recursive: true });
    return mkdtempSync(path.join(scratch, 'crash-worker-'));
  })();
  afterAll(() => {
    dir.remove();
    rmSync(bundleDir, { recursive: true, force: true });
  });
  beforeAll(async () => {
    workerScript = path.join(bundleDir, 'worker.mjs');
    await build({
      entryPoints: [WORKER],
      outfile: workerScript,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
  });
  // After the directories' hook: a lifetime left running by a failure ends before its files go.
  const children = useChildren();

  it('after 20+ SIGKILLs at random points, some inside checkpoint commits, the log (with timers fired and children settled), every snapshot and every offset equal an uncrashed run, and a child is called again only if its call was in flight at a kill', async () => {
    const random = seededRandom(seed);
    console.log(`crash test seed ${seed} (set RECQ_CRASH_SEED=${seed} to replay the kill plan)`);

    const { result: reference, life: referenceLife } = await runToCompletion(children, dir.file('reference.db'), 20, dir.file('reference.json'));
    const expected = canonicalize(reference);
    expect(expected.problems, 'the uncrashed run is itself inconsistent').toEqual([]);
    const audit = expected.actors.get('audit/_') as {
      context: { total: number; outOfOrder: number; perKey: Record<string, { cycles: number; called: number; cooled: number }> };
    };
    const perKey = Object.values(audit.context.perKey);
    const cycles = perKey.reduce((sum, entry) => sum + entry.cycles, 0);
    // Every producer event emits one acc.added, every gate firing one gate.cycled, every call's
    // outcome one acc.called, every cool timer's firing one gate.cooled; the audit sees each.
    expect(perKey.reduce((sum, entry) => sum + entry.called, 0)).toBe(TOTAL_EVENTS);
    expect(perKey.reduce((sum, entry) => sum + entry.cooled, 0)).toBe(cycles);
    expect(expected.emitted).toBe(2 * (TOTAL_EVENTS + cycles));
    expect(audit.context.total).toBe(expected.emitted);
    expect(audit.context.outOfOrder).toBe(0);
    // Each acc actor took in one call's outcome and one tick per event, and the echoes its calls set.
    const accs = reference.actors.filter((actor) => actor.component === 'acc').map((actor) => actor.view.context as AccContext);
    for (const acc of accs) {
      expect(acc).toMatchObject({ calls: acc.count, ticks: acc.count, tickSum: acc.sum, callSum: 2 * acc.sum + acc.count, echoes: acc.echoesDue });
    }
    const echoes = accs.reduce((sum, acc) => sum + acc.echoes, 0);
    expect(echoes).toBeGreaterThan(0);
    // Input records: each call's outcome, each tick, echo and cool timer's firing.
    expect(expected.inputs).toBe(2 * TOTAL_EVENTS + echoes + cycles);
    const referenceCalls = countCalls([referenceLife], reference);
    expect(referenceCalls.problems, 'the uncrashed run called a child twice, or without its outcome').toEqual([]);
    expect(referenceCalls.calls).toBe(TOTAL_EVENTS);

    const finalProgress = reference.consumers.reduce((sum, consumer) => sum + consumer.offset, 0);
    const started = Date.now();
    const { result, stats, lives } = await crashRun(children, dir.file('crash.db'), dir.file('crash.json'), finalProgress, random);
    const calls = countCalls(lives, result);
    console.log(
      `crash run: ${stats.lives} lifetimes, ${stats.kills} SIGKILLs, ${stats.insideCommit} inside a checkpoint commit ` +
        `(${stats.commitLanded} had reached SQLite, ${stats.commitLost} had not), ${Date.now() - started} ms; ` +
        `killed at ${stats.killedAt.join(', ')} % of the work; ${calls.calls} calls for ${TOTAL_EVENTS} children, ` +
        `${calls.repeated} made again after a kill found them in flight (at most ${calls.mostCalls} calls for one)`,
    );

    expect(stats.kills, `kills (seed ${seed})`).toBeGreaterThanOrEqual(REQUIRED_KILLS);
    expect(stats.signals.every((signal) => signal === 'SIGKILL')).toBe(true);
    expect(stats.insideCommit, `kills inside a checkpoint commit (seed ${seed})`).toBeGreaterThan(0);
    expectSameRun('after the crashes', expected, canonicalize(result));
    expect(calls.problems, `calls made more than once only when in flight at a kill (seed ${seed})`).toEqual([]);

    // One more lifetime on the settled file: state restored cold from the CSS, and re-publishing adds nothing.
    const { result: reopened, life: reopenedLife } = await runToCompletion(children, dir.file('crash.db'), 20, dir.file('reopened.json'));
    expect(reopened.head).toBe(result.head);
    expectSameRun('after a clean restart', expected, canonicalize(reopened));
    // Every outcome is in the log: a restart calls nothing again.
    expect(reopenedLife.calls, `calls after a clean restart (seed ${seed})`).toEqual([]);
    expect(countCalls([...lives, reopenedLife], reopened).problems).toEqual([]);
  }, 180_000);
});
