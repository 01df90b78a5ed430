import type { Engine } from '../db/engine.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { createEventHub, type AuditTail } from './events.hub.js';
import { createEventsService } from './events.service.js';
import type { EmitPort } from './events.types.js';
import type { AuditEntry } from '../audit/audit.schemas.js';

export interface LiveEventsDeps {
  engine: Pick<Engine, 'bus' | 'uow'>;
  clock: Clock;
  logger: Logger;
  config: { EVENTS_HEARTBEAT_MS: number; EVENTS_MAX_STREAMS: number };
  metrics: Pick<Metrics, 'eventStreamOpened' | 'eventStreamClosed' | 'rateLimited'>;
  /** The audit log's reads (the audit service). */
  tail: AuditTail;
}

/** What the audit service calls for each entry it appends: published once its unit commits. */
export const auditPublisher =
  ({ uow, bus }: Pick<Engine, 'bus' | 'uow'>) =>
  (seq: number, entry: AuditEntry): void =>
    uow.afterCommit(() => bus.publish({ kind: 'audit', seq, entry }));

/**
 * The events domain as the other services see it: `emit` queues on the unit of work open
 * where it is called and publishes once it commits (never for a rollback); `service` serves
 * the streams.
 */
export function createLiveEvents({ engine, clock, logger, config, metrics, tail }: LiveEventsDeps) {
  const { uow, bus } = engine;
  const hub = createEventHub({ bus, tail, clock, logger });
  const emit: EmitPort = (type, orgId, data) => {
    if (type === 'audit.appended') return;
    uow.afterCommit(() => hub.publish(type, orgId, data));
  };
  return {
    emit,
    service: createEventsService({ hub, heartbeatMs: config.EVENTS_HEARTBEAT_MS, maxStreams: config.EVENTS_MAX_STREAMS, metrics, logger }),
  };
}
