import type { Term, UnitLimit } from '../src/domain/index.ts';
import { describeOffset } from '../src/domain/index.ts';
import type { RecordedEvent } from '../src/eventstore/port.ts';

/**
 * An event's content in words, for the audit trail and the audit report: what an inspector
 * reads instead of JSON (21 CFR 11.10(e): what was recorded, and why).
 */
export function eventInWords(event: Pick<RecordedEvent, 'type' | 'data'>): string {
  // biome-ignore lint/suspicious/noExplicitAny: every branch reads the fields its type has
  const d = event.data as any;
  const doc = () =>
    `document ${d.documentRef}${d.documentSha256 ? ` (SHA-256 ${d.documentSha256})` : ''}`;
  switch (event.type) {
    case 'SpecificationRegistered':
      return `Specification ${d.specificationId} "${d.title}" of ${d.regulator} registered${d.supersedes ? `, superseding ${d.supersedes}` : ''}.`;
    case 'TechnicalDataPackageReleased':
      return `TDP of ${d.specificationId} released on ${d.releasedOn} (${d.publicRelease ? 'public' : 'not public'}), ${doc()}.`;
    case 'ProgramRegistered':
      return `Program registered: supplier ${d.supplierId}, specification ${d.specificationId}, channel ${d.channel}, regulator ${d.regulator}${d.description ? `: ${d.description}` : ''}.`;
    case 'NoticeReceived':
      return `Notice ${d.noticeId} from ${d.issuer} received on ${d.receivedOn}, ${doc()}: ${d.summary} Terms: ${(d.terms as Term[]).map(termInWords).join('; ') || 'none'}.${d.supersedes?.length ? ` Supersedes ${d.supersedes.join(', ')}.` : ''}`;
    case 'LicenseApplicationSubmitted':
      return `License application ${d.applicationId} submitted on ${d.submittedOn}, ${doc()}.`;
    case 'LicenseApplicationDecided':
      return `License application ${d.applicationId} ${d.decision} on ${d.decidedOn}${d.reasons?.length ? `: ${d.reasons.join('; ')}` : ''}; resubmission ${d.resubmissionAllowed ? 'allowed' : 'not allowed'}.${d.limits?.length ? ` Limits: ${(d.limits as UnitLimit[]).map(limitInWords).join('; ')}.` : ''}`;
    case 'ShipmentRecorded':
      return `Shipment ${d.shipmentId}: ${d.units} units shipped on ${d.shippedOn}${d.customerRef ? ` to customer ${d.customerRef}` : ''}${d.destination ? `, destination ${d.destination}` : ''}.`;
    case 'ShipmentChecked':
      return `Pre-shipment check of ${d.lines.length} order line${d.lines.length === 1 ? '' : 's'} at ledger position ${d.answeredAtPosition}: ${(d.lines as { decision: string; explanation: string }[]).map((l) => l.explanation).join(' ')}`;
    case 'ProgramEnded':
      return `Program ended on ${d.endedOn}: ${d.reason}`;
    case 'EventRetracted':
      return `Retracts event ${d.retractedEventId}: ${d.reason}`;
    default:
      return `${event.type}: ${JSON.stringify(event.data)}`;
  }
}

function limitInWords(limit: UnitLimit): string {
  const to = [
    limit.customerRef && ` to customer ${limit.customerRef}`,
    limit.destination && ` to ${limit.destination}`,
  ]
    .filter(Boolean)
    .join('');
  return `limits shipments${to} to ${limit.units} units per ${limit.per ?? 'authorization'}`;
}

function termInWords(term: Term): string {
  switch (term.kind) {
    case 'authorizes':
      return `authorizes supply from ${term.from}`;
    case 'sunset-after-trigger':
      return `ends ${describeOffset(term.offset) || 'at once'} after the public TDP release of ${term.trigger.specificationId}`;
    case 'ends-on':
      return `ends on ${term.effectiveOn}`;
    case 'last-authorized-day':
      return `authorizes supply through ${term.date} (last authorized day)`;
    case 'suspends':
      return `suspends supply from ${term.from}${term.until ? ` until ${term.until}` : ''}`;
    case 'revokes':
      return `revokes the authorization from ${term.effectiveOn}`;
    case 'limits-units':
      return limitInWords(term);
  }
}
