import type { SqliteDatabase } from '../../db.ts';
import type { Lease } from '../../lease.ts';
import { preparedOnce } from './prepared.ts';

/** A row of the `leases` table. */
export interface LeaseRow {
  resource: string;
  owner: string;
  epoch: number;
  expires_at: number;
  /** The holder's secret; '' for a lease stored before leases had tokens. */
  token: string;
}

/** The leases on the log and on each consumer, stored next to the log. */
export function createLeasesTable(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS leases (
      resource TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      epoch INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      token TEXT NOT NULL DEFAULT ''
    );
  `);
  // A file from before leases had tokens: its leases match by owner until they are taken again.
  const columns = db.prepare('PRAGMA table_info(leases)').all() as { name: string }[];
  if (!columns.some((column) => column.name === 'token')) db.exec("ALTER TABLE leases ADD COLUMN token TEXT NOT NULL DEFAULT ''");
}

/** The lease a row of the `leases` table holds. */
export function toLease(row: LeaseRow): Lease {
  const lease: Lease = { resource: row.resource, owner: row.owner, epoch: row.epoch, expiresAt: row.expires_at };
  if (row.token) lease.token = row.token;
  return lease;
}

const selectLease = preparedOnce('SELECT resource, owner, epoch, expires_at, token FROM leases WHERE resource = ?');

/** The lease last taken on `resource` (expired or not), if any was. */
export function readLease(db: SqliteDatabase, resource: string): Lease | undefined {
  const row = selectLease(db).get(resource) as LeaseRow | undefined;
  return row && toLease(row);
}

const upsertLease = preparedOnce(
  'INSERT INTO leases (resource, owner, epoch, expires_at, token) VALUES (?, ?, ?, ?, ?) ON CONFLICT (resource) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch, expires_at = excluded.expires_at, token = excluded.token',
);

/** Records `lease` as the current one on its resource, whatever was there. */
export function storeLease(db: SqliteDatabase, lease: Lease): void {
  upsertLease(db).run(lease.resource, lease.owner, lease.epoch, lease.expiresAt, lease.token ?? '');
}

const updateExpiry = preparedOnce('UPDATE leases SET expires_at = ? WHERE resource = ? AND epoch = ?');

/** Moves the expiry of the lease at `epoch`; false if the resource is at another epoch now. */
export function extendLease(db: SqliteDatabase, resource: string, epoch: number, expiresAt: number): boolean {
  return updateExpiry(db).run(expiresAt, resource, epoch).changes > 0;
}

/** Expires the lease at `epoch` now, so another owner may take it; a later epoch is left alone. */
export function expireLease(db: SqliteDatabase, resource: string, epoch: number): void {
  updateExpiry(db).run(0, resource, epoch);
}

const selectLeases = preparedOnce('SELECT resource, owner, epoch, expires_at, token FROM leases ORDER BY resource');

/** Every lease, by resource, with its token (strip it with `publicLease` before it leaves the supervisor). */
export function listLeases(db: SqliteDatabase): Lease[] {
  return (selectLeases(db).all() as LeaseRow[]).map(toLease);
}
