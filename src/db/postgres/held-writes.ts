import type pg from 'pg';
import { refuseUnstorable, type Queryable } from './sql.js';

/**
 * A kind of write that a unit of work may hold back and send later together with the others
 * of its kind, in one statement. Only writes whose caller needs nothing back from the
 * database qualify (the values are all known beforehand) and that no rule catches an error of
 * (such as a unique key used as a claim).
 */
export interface HeldWrite<R> {
  /** For messages and tests. */
  readonly name: string;
  /** The values of one row as a statement would bind them (checked when the row is held). */
  values(row: R): unknown[];
  /** Writes `rows`, in the order they were made, in one statement. */
  write(q: Queryable, rows: R[]): Promise<void>;
}

/**
 * One unit's connection, holding writes back. Any statement sent through it first sends
 * every write held so far, so whatever runs in the unit reads what it wrote, exactly as if
 * each write had gone out when it was made; the unit sends what is still held before its
 * COMMIT (`flush`). A held write that fails therefore fails a later statement of the same
 * unit, or its commit: the unit rolls back whole either way, as it would have.
 */
export interface UnitConnection extends Pick<pg.PoolClient, 'query'> {
  hold<R>(kind: HeldWrite<R>, row: R): void;
  /** Sends everything held, including what is held while it runs. */
  flush(): Promise<void>;
  /** The unit has ended: a write held from now on would never be sent, so holding one throws. */
  end(): void;
}

const UNIT = Symbol('unit connection');

/** Names of statements that read nothing a held write changes (a sequence's next values). */
const independent = new Set<string>();

/** Marks a statement as one that may go out while writes are held (it reads none of their tables). */
export function pastHeldWrites<S extends { name: string }>(s: S): S {
  independent.add(s.name);
  return s;
}

export function unitConnection(client: Pick<pg.PoolClient, 'query'>): UnitConnection & { [UNIT]: true } {
  const held = new Map<HeldWrite<never>, unknown[]>();
  let ended = false;
  /** The flush under way: statements asked for meanwhile wait for it (one statement at a time on a connection). */
  let flushing: Promise<void> | undefined;
  async function flush(): Promise<void> {
    // Until nothing is held: a write can be held while an earlier one is being sent.
    while (held.size > 0 || flushing !== undefined) await flushOnce();
  }
  function flushOnce(): Promise<void> {
    if (held.size === 0) return flushing ?? Promise.resolve();
    const kinds = [...held];
    held.clear();
    const run = (flushing ?? Promise.resolve()).then(async () => {
      for (const [kind, rows] of kinds) await (kind as HeldWrite<unknown>).write(client, rows);
    });
    flushing = run;
    const done = () => {
      if (flushing === run) flushing = undefined;
    };
    run.then(done, done);
    return run;
  }
  const query = ((...args: unknown[]) => {
    const send = () => (client.query as (...a: unknown[]) => unknown)(...args);
    if (flushing === undefined && (held.size === 0 || independent.has((args[0] as { name?: string }).name ?? ''))) return send();
    return flushOnce().then(send);
  }) as pg.PoolClient['query'];
  return {
    [UNIT]: true,
    query,
    hold<R>(kind: HeldWrite<R>, row: R) {
      if (ended) throw new Error(`A ${kind.name} write was made after its unit of work ended`);
      refuseUnstorable(kind.values(row));
      const rows = held.get(kind as HeldWrite<never>);
      if (rows) rows.push(row);
      else held.set(kind as HeldWrite<never>, [row]);
    },
    flush,
    end: () => void (ended = true),
  };
}

const isUnitConnection = (q: Queryable): q is UnitConnection => UNIT in q;

/** Holds the row back when `q` is a unit's connection; writes it now otherwise. */
export function writeOrHold<R>(q: Queryable, kind: HeldWrite<R>, row: R): Promise<void> {
  if (!isUnitConnection(q)) return kind.write(q, [row]);
  try {
    q.hold(kind, row);
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err);
  }
}
