/**
 * Request ids, which become events' correlationId: unique across restarts (UUIDs), or the
 * caller's own `x-request-id` when it is short and made of safe characters, so a client can
 * correlate its request with the events it caused. Echoed in the response either way.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** At most 128 characters of letters, digits and `-_.:`: safe in logs, headers and events. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
}
