import { Temporal } from 'temporal-polyfill';
import { z } from 'zod';
import { plainWords } from '../core/plain-words.ts';
import { type AsKnownAt, CalendarDate, RecordShipment, Slug } from '../domain/index.ts';
import { CliError, EXIT } from './exit-codes.ts';

/** Parses one argument with a schema; a bad value is a usage error naming the option. */
function parse<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value, { error: plainWords });
  if (!parsed.success)
    throw new CliError(
      EXIT.usage,
      `${name}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(value)})`,
    );
  return parsed.data;
}

export const programId = (value: string) => parse(Slug, value, 'program');
export const date = (value: string, name: string) => parse(CalendarDate, value, name);
export const count = (value: string, name: string) =>
  parse(z.coerce.number().int().min(0), value, name);
export const units = (value: string, name: string) =>
  parse(z.coerce.number().pipe(RecordShipment.shape.units), value, name);
/** A customer or a destination, checked as a shipment's are. */
export const reference = (value: string, name: string) =>
  parse(RecordShipment.shape.customerRef.unwrap(), value, name);

/** `--as-known-at`: digits are a global position, anything else must be an ISO 8601 instant. */
export function asKnownAt(value: string | undefined): AsKnownAt | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return { position: Number(value) };
  try {
    return { instant: Temporal.Instant.from(value).toString() };
  } catch {
    throw new CliError(
      EXIT.usage,
      `--as-known-at: expected a position (e.g. 42) or an instant (e.g. 2007-05-10T00:00:00Z), got ${JSON.stringify(value)}`,
    );
  }
}
