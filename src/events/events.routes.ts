import { defineRoute, type RouteDef } from '../http/registry.js';
import { EVENT_TYPES } from './events.types.js';
import { EventsQuery, eventEnvelope } from './events.schemas.js';
import type { EventsService } from './events.service.js';
import { responseSink, SSE_HEADERS } from './sse-writer.js';

export function eventsRoutes(events: EventsService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/events',
      summary: 'Live events as Server-Sent Events; resumes after Last-Event-ID (an audit cursor)',
      tag: 'Events',
      query: EventsQuery,
      errors: ['INVALID_PARAMETER', 'RATE_LIMITED', 'SERVER_BUSY'],
      invalid: [{ at: 'query', code: 'INVALID_PARAMETER' }],
      stream: Object.fromEntries(EVENT_TYPES.map((t) => [t, eventEnvelope(t)])),
      handler: async ({ query, scope, req, res }) => {
        // A HEAD asks for the headers only: no stream is opened.
        if (req.method === 'HEAD') return void res.writeHead(200, SSE_HEADERS).end();
        const header = req.get('last-event-id');
        await events.open(
          { scope, types: query.types, lastEventId: header !== undefined && header !== '' ? header : query.lastEventId, ip: req.ip ?? req.socket.remoteAddress ?? '' },
          () => responseSink(res),
        );
      },
    }),
  ];
}
