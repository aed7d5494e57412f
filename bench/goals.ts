import { printColumns, type Result, round } from './report.ts';

/** Where one goal stands after a run: the figure measured, the goal, and whether it is met. */
export interface GoalRow {
  bench: string;
  /** What is measured, e.g. `embedded ratio to in-memory`, `peak RSS`. */
  measure: string;
  figure: string;
  goal: string;
  met: boolean;
  verified: boolean;
  /** Every figure of the scenario, for the JSON line. */
  metrics?: Record<string, number | string | boolean>;
}

const RATIO_GOALS: Record<string, number> = { embedded: 0.6, nats: 0.4 };

/** The ratio goals of W1 and W2: embedded ≥ 0.6 of in-memory, over NATS ≥ 0.4. */
export function ratioGoals(results: readonly Result[]): GoalRow[] {
  return results.flatMap((r) => {
    const goal = RATIO_GOALS[r.mode];
    if (goal === undefined || r.ratioToInMemory === null) return [];
    return [
      {
        bench: r.bench,
        measure: `${r.mode} / in-memory`,
        figure: `${r.ratioToInMemory.toFixed(2)} (${(r.ratioMin as number).toFixed(2)}–${(r.ratioMax as number).toFixed(2)})`,
        goal: `≥ ${goal}`,
        met: r.ratioToInMemory >= goal,
        verified: r.verified,
      },
    ];
  });
}

export function printGoals(rows: readonly GoalRow[], write: (line: string) => void): void {
  const header = ['workload', 'measure', 'figure', 'goal', 'met', 'verified'];
  const cells = rows.map((r) => [r.bench, r.measure, r.figure, r.goal, r.met ? 'yes' : 'no', String(r.verified)]);
  printColumns(header, cells, [0, 1, 2, 3, 4, 5], write);
}

export function printGoalJson(rows: readonly GoalRow[], write: (line: string) => void): void {
  for (const r of rows) {
    if (!r.metrics) continue;
    const metrics = Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, typeof v === 'number' ? round(v, 3) : v]));
    write(JSON.stringify({ bench: r.bench, measure: r.measure, goal: r.goal, met: r.met, verified: r.verified, ...metrics }));
  }
}
