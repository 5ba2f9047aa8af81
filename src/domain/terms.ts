import { z } from 'zod';
import { CalendarDate, CalendarOffset } from './calendar.ts';
import { Slug } from './identifiers.ts';
import { UnitLimit } from './limit.ts';

/** The conditions a notice sets (docs/design.md §4 "Notice terms"), a union on `kind`. */
export const AuthorizesTerm = z
  .object({ kind: z.literal('authorizes'), from: CalendarDate })
  .strict();

export const SunsetAfterTriggerTerm = z
  .object({
    kind: z.literal('sunset-after-trigger'),
    trigger: z.object({ specificationId: Slug, event: z.literal('tdp-public-release') }).strict(),
    offset: CalendarOffset,
  })
  .strict();

export const EndsOnTerm = z
  .object({ kind: z.literal('ends-on'), effectiveOn: CalendarDate })
  .strict();

/** An inclusive end, as a letter words it: "supply through 2007-08-31". */
export const LastAuthorizedDayTerm = z
  .object({ kind: z.literal('last-authorized-day'), date: CalendarDate })
  .strict();

export const SuspendsTerm = z
  .object({ kind: z.literal('suspends'), from: CalendarDate, until: CalendarDate.optional() })
  .strict();

export const RevokesTerm = z
  .object({ kind: z.literal('revokes'), effectiveOn: CalendarDate })
  .strict();

/** A cap on the units shipped while the letter governs (docs/design.md "Limits on units shipped"). */
export const LimitsUnitsTerm = z
  .object({ kind: z.literal('limits-units'), ...UnitLimit.shape })
  .strict();

export const Term = z.discriminatedUnion('kind', [
  AuthorizesTerm,
  SunsetAfterTriggerTerm,
  EndsOnTerm,
  LastAuthorizedDayTerm,
  SuspendsTerm,
  RevokesTerm,
  LimitsUnitsTerm,
]);

export type Term = z.infer<typeof Term>;
export type SunsetAfterTriggerTerm = z.infer<typeof SunsetAfterTriggerTerm>;
export type SuspendsTerm = z.infer<typeof SuspendsTerm>;
export type LimitsUnitsTerm = z.infer<typeof LimitsUnitsTerm>;
