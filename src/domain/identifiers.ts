import { z } from 'zod';

/** Supplier, specification, program, notice, application and shipment identifiers (docs/design.md §4). */
export const Slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,63}$/,
    'must be a slug: a-z, 0-9, ".", "_", "-", at most 64 characters',
  );

export const EventId = z.uuid();

/** Free text a person typed: required, trimmed, bounded so one field cannot bloat the ledger. */
export const Text = (max: number) => z.string().trim().min(1).max(max);
