import { z } from 'zod';
import { Text } from './identifiers.ts';

/** The calendar period a limit counts over; without one, the whole authorization window. */
export const LimitPeriod = z.enum(['month', 'quarter', 'year']);
export type LimitPeriod = z.infer<typeof LimitPeriod>;

/**
 * A cap on the units shipped (docs/design.md "Limits on units shipped"), as a letter states it: in a notice's
 * `limits-units` term or an approved license decision's `limits`. A customer or a destination
 * narrows it to the shipments naming the same one.
 */
export const UnitLimit = z
  .object({
    units: z.int().positive().max(1_000_000_000),
    per: LimitPeriod.optional(),
    customerRef: Text(200).optional(),
    destination: Text(200).optional(),
  })
  .strict();
export type UnitLimit = z.infer<typeof UnitLimit>;
