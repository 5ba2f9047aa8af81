import { z } from 'zod';

/** Supplier, specification, program, notice, application and shipment identifiers (docs/design.md §4). */
export const Slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,63}$/,
    'must be a slug: a-z, 0-9, ".", "_", "-", at most 64 characters',
  )
  // The founding case's program, so the API document's examples read as a real ledger's.
  .meta({ examples: ['american-locker.1118e.private-market'] });

export const EventId = z.uuid().meta({ examples: ['2827a1bc-7afa-86e4-bc46-6e4e375cc3eb'] });

/** A UTF-16 surrogate standing alone: no character, and no JSON the ledger can hash (RFC 8785). */
const LONE_SURROGATE = /\p{Cs}/u;
/** A character a reader sees: not a space, a control, a format (zero-width) or an ignorable one. */
const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Cs}]/u;

/**
 * Free text a person typed: required, trimmed, bounded so one field cannot bloat the ledger,
 * well-formed Unicode, and with at least one visible character (docs/design.md §4 "Text").
 */
export const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { abort: true })
    .max(max)
    .refine((text) => !LONE_SURROGATE.test(text), {
      message: 'has a lone UTF-16 surrogate, which is no character',
      abort: true,
    })
    .refine(
      (text) => VISIBLE.test(text),
      'has no visible character: only spaces, control or zero-width characters',
    );
