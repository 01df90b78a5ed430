import type { Db } from '../open.js';

/**
 * Counts the starts and ends of the units of work on each connection: odd while a unit's
 * transaction is open, and never the same value for two units. A repository that keeps
 * something for the length of one unit (what its own statements wrote, which nothing else
 * can change while the unit holds the connection) keys it by this, so it is never used by a
 * later unit, after a rollback, or outside a unit.
 */
const epochs = new WeakMap<Db, number>();

const unitEpoch = (db: Db): number => epochs.get(db) ?? 0;

/** Called by the unit of work when its transaction begins, and again when it ends (commit or rollback). */
export const nextUnitEpoch = (db: Db): void => void epochs.set(db, unitEpoch(db) + 1);

/** The epoch of the unit whose transaction is open on `db` now, or undefined outside one. */
export function openUnitEpoch(db: Db): number | undefined {
  const epoch = unitEpoch(db);
  return epoch % 2 === 1 && db.inTransaction ? epoch : undefined;
}
