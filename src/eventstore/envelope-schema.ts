import { z } from 'zod';

/**
 * A recorded event's envelope as it leaves the ledger (GET /v1/events, `ledger export`) and as
 * `ledger import` reads it back: one shape for both directions.
 */
export const RecordedEventSchema = z.object({
  eventId: z.string().min(1),
  stream: z.string().min(1),
  revision: z.int().min(0),
  position: z.int().min(1),
  type: z.string().min(1),
  data: z.unknown(),
  metadata: z.object({
    recordedAt: z.string(),
    recordedBy: z.string(),
    correlationId: z.string(),
    causationId: z.string().nullable(),
    idempotencyKey: z.string().optional(),
    keyId: z.string().optional(),
    schemaVersion: z.int(),
    prevHash: z.string(),
    hash: z.string(),
  }),
});
