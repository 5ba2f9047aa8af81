import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import type { AuditEntry } from '../../projections/audit-trail.ts';
import type { BackdatedFact } from '../../projections/backdating.ts';
import type { Deadline } from '../../projections/deadlines.ts';
import type { SignatureOnEvent } from '../../projections/signatures.ts';
import type { TimelineInterval } from '../../projections/timeline.ts';
import type { ShipmentViolation } from '../../projections/violations.ts';
import {
  AsKnownAtText,
  type Breach,
  CalendarDate,
  CalendarOffset,
  Channel,
  EventId,
  type LimitUse,
  Meaning,
  type ProgramStatus,
  Rule,
  Slug,
  Status,
} from '../domain/index.ts';
import { RecordedEventSchema } from '../eventstore/envelope-schema.ts';
import type { RecordedEvent } from '../eventstore/port.ts';

/** An event id in a path, in either case: ids are recorded in lower case. */
export const EventIdParams = z.object({ eventId: EventId.toLowerCase() });

/**
 * Response shapes. `fits` checks at compile time that what the domain and projections return
 * is accepted by each schema, so the OpenAPI document cannot drift from the code.
 */
const fits =
  <T>() =>
  <S extends z.ZodType>(schema: S & (T extends z.input<S> ? unknown : never)) =>
    schema;

export const LimitUseResponse = fits<LimitUse>()(
  z
    .object({
      limitId: z.string().describe("The letter's event id and the limit's place in it"),
      eventId: z.string(),
      setBy: z.string().describe('The letter in words'),
      limit: z.int().describe('The units the limit allows in its period'),
      per: z.enum(['authorization', 'month', 'quarter', 'year']),
      customerRef: z.string().optional(),
      destination: z.string().optional(),
      period: z.object({
        from: CalendarDate,
        until: CalendarDate.nullable(),
        name: z.string(),
      }),
      used: z.int().describe('Units counted in the period before this shipment'),
      remaining: z
        .int()
        .describe('Units left after this shipment; negative: by how much it goes over'),
    })
    .meta({ id: 'LimitUse' }),
);

export const BreachResponse = fits<Breach>()(
  z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('outside-authorization'), status: Status, rule: Rule }),
      z.object({ kind: z.literal('over-limit'), limit: LimitUseResponse }),
    ])
    .meta({ id: 'Breach' }),
);

export const CommandAccepted = z
  .object({
    eventId: z
      .uuid()
      .nullable()
      .describe('The first recorded event; null when the fact was already on record'),
    stream: z.string(),
    revision: z.int().describe("The stream's revision after the command"),
    position: z.int().describe('The global position after the command'),
    alreadyRecorded: z.boolean(),
    events: z.array(z.object({ eventId: z.uuid(), revision: z.int(), position: z.int() })),
    violation: z
      .object({ breach: BreachResponse, explanation: z.string() })
      .nullable()
      .optional()
      .describe(
        'A recorded shipment only: what it breaks as known when recorded (an authorization or a limit), or null',
      ),
  })
  .meta({ id: 'CommandAccepted' });

export const SignatureOnEventResponse = fits<SignatureOnEvent>()(
  z
    .object({
      signatureId: z.string().describe('The SignatureRecorded event'),
      position: z.int(),
      recordedAt: z.string(),
      signer: z.string().describe('The printed name of the signer'),
      email: z.string(),
      meaning: Meaning,
      signedAt: z.string(),
      comment: z.string().nullable(),
      hash: z.string().describe('The hash the signed event had when signed'),
      statement: z.string().describe('"Approved by Jane Doe on 2007-05-16 14:02 UTC: …"'),
    })
    .meta({ id: 'SignatureOnEvent' }),
);

const BasisEntry = z.object({
  eventId: z.string(),
  position: z.int(),
  type: z.string(),
  roles: z.array(z.string()),
  signatures: z
    .array(SignatureOnEventResponse)
    .optional()
    .describe('The signatures on this event (status answers only)'),
});

export const ProgramStatusResponse = fits<ProgramStatus & { programId: string }>()(
  z
    .object({
      programId: Slug,
      at: CalendarDate,
      status: Status,
      rule: Rule,
      authorizedFrom: CalendarDate.nullable(),
      until: CalendarDate.nullable().describe(
        'When authorized: first day not authorized from `at` on (a suspension or the window end, half-open); null while open-ended. Otherwise the window end',
      ),
      windowEnd: CalendarDate.nullable().describe(
        "The authorization window's own end (first day after it), whatever suspensions lie inside it",
      ),
      lastAuthorizedDay: CalendarDate.nullable().describe(
        'When authorized: the day before `until`. After a window ended: its last authorized day',
      ),
      resumesOn: CalendarDate.nullable().describe(
        'When suspended: the day supply is allowed again, if known and inside the window',
      ),
      pendingConditions: z.array(
        z.object({
          kind: z.literal('sunset-after-trigger'),
          noticeId: z.string(),
          eventId: z.string(),
          specificationId: z.string(),
          trigger: z.literal('tdp-public-release'),
          offset: CalendarOffset,
          description: z.string(),
        }),
      ),
      basis: z.array(BasisEntry),
      explanation: z.string(),
    })
    .meta({ id: 'ProgramStatus' }),
);

export const ProgramSummary = z
  .object({
    programId: Slug,
    supplierId: Slug,
    specificationId: Slug,
    specificationTitle: z.string().optional().describe("The specification's registered title"),
    channel: Channel,
    regulator: z.string(),
    description: z.string().optional(),
    status: ProgramStatusResponse.omit({ programId: true }),
  })
  .meta({ id: 'ProgramSummary' });

export const AuditEntryResponse = fits<AuditEntry>()(
  z
    .object({
      position: z.int(),
      recordedAt: z.string(),
      recordedBy: z.string().describe('The name of the API key that recorded the event'),
      keyId: z.string().nullable(),
      person: z
        .string()
        .nullable()
        .describe("The printed name of the key's registered person, if any"),
      stream: z.string(),
      revision: z.int(),
      eventId: z.string(),
      type: z.string(),
      validDate: z.string().nullable(),
      documentRef: z.string().nullable(),
      documentSha256: z.string().nullable(),
      content: z.string().describe('The event in words'),
      hash: z.string(),
      prevHash: z.string(),
      retracts: z.string().nullable(),
      retractedBy: z.string().nullable(),
      corrects: z.string().nullable().describe('For a correcting fact: the event it corrects'),
      correctedBy: z.string().nullable().describe('For a corrected event: the fact correcting it'),
      change: z
        .string()
        .nullable()
        .describe('For a retracted event: when, by whom and why, and its correction'),
      signatures: z.array(SignatureOnEventResponse),
    })
    .meta({ id: 'AuditEntry' }),
);

export const TimelineIntervalResponse = fits<TimelineInterval>()(
  z
    .object({
      from: CalendarDate.nullable(),
      until: CalendarDate.nullable(),
      status: Status,
      rule: Rule,
      explanation: z.string(),
      basis: z.array(BasisEntry),
    })
    .meta({ id: 'TimelineInterval' }),
);

export const DeadlineResponse = fits<Deadline>()(
  z
    .object({
      programId: z.string(),
      until: CalendarDate.describe(
        'First day not authorized: a suspension start or the window end',
      ),
      lastAuthorizedDay: CalendarDate,
      windowEnd: CalendarDate.nullable(),
      daysLeft: z.int(),
      rule: Rule,
      explanation: z.string(),
    })
    .meta({ id: 'Deadline' }),
);

const ShipmentCheck = z.object({
  status: Status,
  rule: Rule,
  compliant: z.boolean(),
  breach: BreachResponse.nullable(),
  explanation: z.string(),
  limits: z.array(LimitUseResponse),
});
export const ViolationResponse = fits<ShipmentViolation>()(
  z
    .object({
      programId: z.string(),
      shipmentId: z.string(),
      eventId: z.string(),
      shippedOn: CalendarDate,
      units: z.int(),
      customerRef: z.string().optional(),
      destination: z.string().optional(),
      position: z.int(),
      recordedAt: z.string(),
      asKnownNow: ShipmentCheck,
      asKnownWhenRecorded: ShipmentCheck,
    })
    .meta({ id: 'ShipmentViolation' }),
);

export const BackdatedFactResponse = fits<BackdatedFact>()(
  z
    .object({
      eventId: z.string(),
      stream: z.string(),
      type: z.string(),
      position: z.int(),
      validDate: z.string(),
      recordedAt: z.string(),
      lagDays: z.int(),
    })
    .meta({ id: 'BackdatedFact' }),
);

export const RecordedEventResponse = fits<RecordedEvent>()(
  RecordedEventSchema.meta({ id: 'RecordedEvent' }),
);

export const VerifyReport = z
  .object({
    ok: z.boolean(),
    events: z.int(),
    streams: z.int().optional(),
    problem: z
      .object({
        position: z.int(),
        stream: z.string(),
        eventId: z.string().optional(),
        revision: z.int().optional(),
        kind: z.string(),
        message: z.string(),
      })
      .optional(),
    answers: z
      .object({
        ok: z.boolean(),
        programs: z.int(),
        position: z.int(),
        difference: z.string().nullable(),
      })
      .optional()
      .describe(
        'With answers=true: the running read models compared with a rebuild from the events',
      ),
  })
  .meta({ id: 'VerifyReport' });

/** `asKnownAt`: the one parser the API and the CLI share (src/domain/as-known-at.ts). */
export const AsKnownAtQuery = AsKnownAtText.optional().describe(
  'A global position (e.g. 42) or an instant (e.g. 2007-05-10T00:00:00Z): answer as the ledger knew it then',
);

export const CheckpointResponse = z
  .object({
    origin: z.string(),
    treeSize: z.int(),
    rootHash: z.string().describe('Base64, as on the third line of the note'),
    rootHashHex: z.string(),
    note: z
      .string()
      .describe(
        "The signed note (C2SP tlog-checkpoint, Ed25519) with the witnesses' cosignatures (C2SP tlog-cosignature): verify it and take size and root from it",
      ),
    cosigners: z
      .array(z.string())
      .describe('The configured witnesses whose cosignature the note carries'),
    timestampToken: z
      .string()
      .nullable()
      .describe(
        "RFC 3161 timestamp token (base64 DER) of the checkpoint's text from the configured timestamping authority; null while none is kept (no authority configured, or it has not answered yet)",
      ),
  })
  .meta({ id: 'Checkpoint' });

export const CheckpointPublicKeyResponse = z
  .object({
    keyName: z.string(),
    verifierKey: z.string().describe('The signed-note verifier key <name>+<key ID>+<key>'),
    publicKeyPem: z.string().describe('The same Ed25519 key as SPKI PEM'),
  })
  .meta({ id: 'CheckpointPublicKey' });

const HexHash = z.string().regex(/^[0-9a-f]{64}$/);

/** `?format=tlog-proof`: a proof as a C2SP tlog-proof bundle instead of the usual answer. */
export const ProofFormat = z
  .enum(['json', 'tlog-proof'])
  .optional()
  .describe('`tlog-proof`: a C2SP tlog-proof bundle (text), for tools that know only the spec');

export const InclusionProofResponse = z
  .object({
    eventId: z.string(),
    leafIndex: z.int().describe('0-based rank of the event in the global order'),
    treeSize: z.int(),
    leafHash: HexHash.describe('SHA-256(0x00 || leaf input), from the stored event'),
    proof: z.array(HexHash).describe('RFC 6962 audit path, bottom-up'),
    checkpoint: CheckpointResponse.describe('The signed checkpoint of treeSize'),
  })
  .meta({ id: 'InclusionProof' });

export const ConsistencyProofResponse = z
  .object({
    from: CheckpointResponse,
    to: CheckpointResponse,
    proof: z
      .array(HexHash)
      .describe('RFC 6962 consistency proof from from.treeSize to to.treeSize'),
  })
  .meta({ id: 'ConsistencyProof' });

/**
 * An `onRoute` hook: every /v1 route refuses query parameters it does not declare (400 naming
 * each), so a misspelt `within` is an error, never the default silently applied.
 */
export function refuseUnknownQueryParameters(route: RouteOptions): void {
  if (!route.url.startsWith('/v1/')) return;
  const querystring = route.schema?.querystring ?? z.object({});
  if (querystring instanceof z.ZodObject)
    route.schema = { ...route.schema, querystring: querystring.strict() };
}
