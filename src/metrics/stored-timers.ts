import type { SqliteDatabase } from '../db.ts';
import { preparedOnce } from '../sss/tables/prepared.ts';

// Each snapshot row keeps its actor's pending delayed events as a JSON array (see css/tables/snapshots.ts).
const selectTimerCounts = preparedOnce('SELECT consumer, SUM(json_array_length(timers)) AS n FROM snapshots WHERE timers IS NOT NULL GROUP BY consumer');

/** Delayed events waiting per consumer, as of each one's last checkpoint (read-only; one statement). */
export function countStoredTimers(db: SqliteDatabase): Map<string, number> {
  const rows = selectTimerCounts(db).all() as { consumer: string; n: number }[];
  return new Map(rows.map((row) => [row.consumer, row.n]));
}
