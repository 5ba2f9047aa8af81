import { z } from 'zod';
import { plainWords } from '../core/plain-words.ts';
import {
  type AsKnownAt,
  AsKnownAtText,
  CalendarDate,
  RecordShipment,
  Slug,
} from '../domain/index.ts';
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

/** `--as-known-at`: a position or an instant, read by the parser the API uses. */
export function asKnownAt(value: string | undefined): AsKnownAt | undefined {
  if (value === undefined) return undefined;
  return parse(AsKnownAtText, value, '--as-known-at');
}
