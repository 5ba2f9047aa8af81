/**
 * The audit report as an audit artefact (21 CFR 11.10(e), EU GMP Annex 11 section 9): who,
 * when, what and why of every event, retracted entries shown, the program's violations and
 * backdated facts, and what makes the copy checkable: the signed checkpoint it was made at, the
 * verification result, the tool version, and how to check it against the ledger. One model,
 * rendered as HTML, JSON, CSV or Markdown.
 */
import type { AuditEntry } from '../../projections/audit-trail.ts';
import type { BackdatedFact } from '../../projections/backdating.ts';
import { programFacts } from '../../projections/program-facts.ts';
import type { TimelineInterval } from '../../projections/timeline.ts';
import type { ShipmentViolation } from '../../projections/violations.ts';
import type { AsKnownAt, CalendarDate, EventData, ProgramStatus } from '../domain/index.ts';
import type { KeptCheckpoint } from '../integrity/ledger-checkpoints.ts';
import type { LedgerReport } from '../integrity/verify-ledger.ts';
import type { LedgerQueries, ProjectionStates } from '../projections/ledger-queries.ts';

export interface ReportCheckpoint {
  origin: string;
  treeSize: number;
  /** Base64, as on the note's third line. */
  rootHash: string;
  /** The note's signature lines. */
  signatures: string[];
  note: string;
  /** Events recorded after it, when the report was made: not in the report, not yet signed. */
  eventsSince: number;
}

export interface AuditReport {
  program: EventData<'ProgramRegistered'>;
  /** The moment the report shows the ledger as it knew it, in words. */
  asKnownAt: string;
  status: ProgramStatus;
  timeline: TimelineInterval[];
  entries: AuditEntry[];
  violations: ShipmentViolation[];
  backdated: BackdatedFact[];
  backdatingThresholdDays: number;
  /** The signed checkpoint the report was made at; null when none was signed yet. */
  checkpoint: ReportCheckpoint | null;
  verification: { ok: boolean; events: number; detail: string };
  tool: { name: string; version: string };
  generatedAt: string;
  howToCheck: string[];
}

export interface ReportOptions {
  at: CalendarDate;
  /** Default: the checkpoint's tree size (the report shows the ledger it was signed at). */
  asKnownAt?: AsKnownAt;
  checkpoint: KeptCheckpoint | null;
  /** The ledger's size when the report is made, to tell how far it grew past the checkpoint. */
  headPosition: number;
  verification: LedgerReport;
  tool: { name: string; version: string };
  generatedAt: string;
  backdatingThresholdDays?: number;
  /** The printed name of the person behind a key id (src/api/people.ts printedNames). */
  personOf?: (keyId: string) => string | null;
}

/** The words telling a reader that the ledger grew past the report's checkpoint, or nothing. */
export const grownSince = (eventsSince: number) =>
  eventsSince === 0
    ? ''
    : ` (the ledger has grown by ${eventsSince} event${eventsSince === 1 ? '' : 's'} since; they are in the next checkpoint)`;

export async function buildAuditReport(
  queries: LedgerQueries,
  projections: ProjectionStates,
  programId: string,
  options: ReportOptions,
): Promise<AuditReport | null> {
  const { checkpoint } = options;
  const asKnownAt =
    options.asKnownAt ?? (checkpoint ? { position: checkpoint.treeSize } : undefined);
  const registered = projections
    .state(programFacts)
    .programs.get(programId)
    ?.find((f) => f.type === 'ProgramRegistered');
  const entries = await queries.auditTrail(programId, asKnownAt, options.personOf);
  const status = queries.status(programId, { at: options.at, ...(asKnownAt ? { asKnownAt } : {}) });
  const timeline = queries.timeline(programId, asKnownAt);
  if (registered?.type !== 'ProgramRegistered' || !entries || !status || !timeline) return null;
  const shown = new Set(entries.map((e) => e.eventId));
  const streams = new Set(entries.map((e) => e.stream));
  const threshold = options.backdatingThresholdDays ?? 30;
  const verification = options.verification;
  return {
    program: registered.data,
    asKnownAt:
      asKnownAt === undefined
        ? 'now'
        : 'position' in asKnownAt
          ? `position ${asKnownAt.position}${checkpoint && asKnownAt.position === checkpoint.treeSize ? ' (the signed checkpoint)' : ''}`
          : asKnownAt.instant,
    status,
    timeline,
    entries,
    violations: queries.violations(undefined, programId).filter((v) => shown.has(v.eventId)),
    backdated: queries
      .backdating(threshold, undefined, programId)
      .filter((b) => streams.has(b.stream) && shown.has(b.eventId)),
    backdatingThresholdDays: threshold,
    checkpoint: checkpoint && {
      origin: checkpoint.origin,
      treeSize: checkpoint.treeSize,
      rootHash: Buffer.from(checkpoint.rootHash).toString('base64'),
      signatures: checkpoint.note
        .slice(checkpoint.note.indexOf('\n\n') + 2)
        .trimEnd()
        .split('\n'),
      note: checkpoint.note,
      eventsSince: Math.max(0, options.headPosition - checkpoint.treeSize),
    },
    verification: {
      ok: verification.ok,
      events: verification.events,
      detail: verification.ok
        ? `every hash chain intact: ${verification.events} events in ${verification.streams} streams`
        : `first bad event at position ${verification.problem.position} in stream ${verification.problem.stream}: ${verification.problem.kind}: ${verification.problem.message}`,
    },
    tool: options.tool,
    generatedAt: options.generatedAt,
    howToCheck: [
      'Keep the checkpoint below outside the system; it is an Ed25519 signed note (C2SP tlog-checkpoint).',
      "Obtain the ledger's public key out of band (the server's checkpoint-key.vkey).",
      'With a copy of the ledger: `compliance-ledger --store sqlite:<copy> audit --trusted <checkpoint file> --public-key <key>` checks the signature, that the ledger extends this checkpoint, every event against the signed root, and every answer against a rebuild.',
      "Each event's hash below is the SHA-256 of its canonical JSON; `compliance-ledger proof inclusion <eventId> --tree-size <size>` proves it is in this checkpoint.",
      'Documents: `compliance-ledger documents check <folder>` compares the cited files with their recorded SHA-256.',
    ],
  };
}
