import type { LiveEvent } from './events.types.js';
import type { AuditEntry } from '../audit/audit.schemas.js';

/**
 * What crosses the bus: an audit position (subscribers read the entries from the log, so
 * order and completeness come from the database) or a whole event of another type.
 */
export type BusMessage = { kind: 'audit'; seq: number; entry?: AuditEntry } | { kind: 'event'; event: LiveEvent };
// `entry` comes only from the in-process bus, where messages arrive in commit order, every
// committed one: with it, subscribers need not read the log.

/**
 * Carries events from the process that committed a change to every process serving streams
 * over the same database. publish() is called after commit and never throws; subscribe()
 * starts listening (lazily: a process without streams never holds a listening connection).
 * `onGap` is told when messages may have been lost (a reconnect): audit readers catch up.
 */
export interface EventBus {
  publish(message: BusMessage): void;
  subscribe(fn: (message: BusMessage) => void, onGap?: () => void): () => void;
  close(): Promise<void>;
}

/** In one process: delivery is a function call, in publish order. */
export function createLocalBus(): EventBus {
  const listeners = new Set<(m: BusMessage) => void>();
  return {
    publish(message) {
      for (const fn of listeners) {
        try {
          fn(message);
        } catch {
          // One subscriber's failure is not the publisher's.
        }
      }
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    close: async () => listeners.clear(),
  };
}
