import Database from 'better-sqlite3';

/**
 * The ids (idempotency keys) of the children whose outcome a component has recorded in the log
 * (its input records on `$input.<component>`), read from the file opened read-only. The system
 * has no call for this; the proof reads the log to know, independently of the call log, which
 * calls had their outcome on disk at the SIGKILL and which were in flight.
 */
export function recordedKeys(db: string, component: string): Set<string> {
  const file = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const rows = file.prepare("SELECT event FROM events WHERE topic = ? AND json_extract(event, '$.type') = 'recq.child.done'").all(`$input.${component}`) as {
      event: string;
    }[];
    return new Set(rows.map((row) => (JSON.parse(row.event) as { child: string }).child));
  } finally {
    file.close();
  }
}
