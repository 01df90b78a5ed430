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
  /** The audit service's reads (built after this: resolved on first use). */
  tail: () => AuditTail;
}

/**
 * The events domain as the other services see it: `emit` and `appended` queue on the unit of
 * work open where they are called and publish once it commits (never for a rollback);
 * `service` serves the streams.
 */
export function createLiveEvents({ engine, clock, logger, config, metrics, tail }: LiveEventsDeps) {
  const { uow, bus } = engine;
  const hub = createEventHub({
    bus,
    tail: { after: (...a) => tail().after(...a), lastSeq: () => tail().lastSeq() },
    clock,
    logger,
  });
  const emit: EmitPort = (type, orgId, data) => {
    if (type === 'audit.appended') return;
    uow.afterCommit(() => hub.publish(type, orgId, data));
  };
  return {
    emit,
    appended: (seq: number, entry: AuditEntry) => uow.afterCommit(() => hub.appended(seq, entry)),
    service: createEventsService({ hub, heartbeatMs: config.EVENTS_HEARTBEAT_MS, maxStreams: config.EVENTS_MAX_STREAMS, metrics, logger }),
  };
}
