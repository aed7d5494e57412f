import Database from 'better-sqlite3';

/**
 * The ids (idempotency keys) of the children whose outcome a component has journaled, read from
 * the CSS with the file opened read-only. The system has no call for this; the proof reads the
 * table to know, independently of the call log, which calls had their outcome on disk at the
 * SIGKILL and which were in flight.
 */
export function journaledKeys(db: string, component: string): Set<string> {
  const file = new Database(db, { readonly: true, fileMustExist: true });
  try {
    // Journal ids start with the component's name (`component/key/...`), whichever consumer (partition) holds them.
    const rows = file.prepare("SELECT id FROM journal WHERE outcome IN ('done', 'error')").all() as { id: string }[];
    return new Set(rows.map((row) => row.id).filter((id) => id.startsWith(`${component}/`)));
  } finally {
    file.close();
  }
}
