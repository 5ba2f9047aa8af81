import { type AsKnownAt, knownAt, streamOwner } from '../src/domain/index.ts';
import type { RecordedEvent } from '../src/eventstore/port.ts';
import type { ProjectionDefinition } from './definition.ts';
import { interner } from './interned.ts';
import type { ProgramFactsIndex } from './program-facts.ts';

/** One shipment as the compliance checks need it, with its record time and any retraction. */
export interface ShipmentEntry {
  eventId: string;
  shipmentId: string;
  shippedOn: string;
  units: number;
  customerRef?: string;
  destination?: string;
  position: number;
  recordedAt: string;
  /** Position of the retraction that withdrew this shipment, if any. */
  retractedAt: number | null;
}

/** Shipments per program, plus where each shipment event sits, so a retraction can find it. */
export interface ShipmentsIndex {
  byProgram: Map<string, ShipmentEntry[]>;
  byEventId: Map<string, ShipmentEntry>;
}

export const shipments: ProjectionDefinition<ShipmentsIndex> = {
  name: 'shipments',
  version: 1,
  initialState: () => ({ byProgram: new Map(), byEventId: new Map() }),
  apply(state, event) {
    if (event.type !== 'ShipmentRecorded' && event.type !== 'EventRetracted') return state;
    const owner = ownerOf(event.stream);
    if (owner?.kind !== 'program') return state;
    if (event.type === 'ShipmentRecorded') {
      const data = event.data as {
        shipmentId: string;
        shippedOn: string;
        units: number;
        customerRef?: string;
        destination?: string;
      };
      const entry = shipmentEntry(event, data);
      const list = state.byProgram.get(owner.id);
      if (list) list.push(entry);
      else state.byProgram.set(owner.id, [entry]);
      state.byEventId.set(entry.eventId, entry);
    } else if (event.type === 'EventRetracted') {
      const target = state.byEventId.get(
        (event.data as { retractedEventId: string }).retractedEventId,
      );
      if (target) target.retractedAt = event.position;
    }
    return state;
  },
  toJSON: (state) => [...state.byProgram],
  fromJSON(json) {
    const byProgram = new Map(json as [string, ShipmentEntry[]][]);
    const byEventId = new Map<string, ShipmentEntry>();
    for (const list of byProgram.values()) for (const e of list) byEventId.set(e.eventId, e);
    return { byProgram, byEventId };
  },
};

/**
 * The entry a read model keeps for each shipment, a million of them in a large ledger: strings
 * that repeat interned, and customerRef in the literal that makes the entry (added after, it
 * would cost every entry a second allocation).
 */
/** streamOwner, kept for the last stream: consecutive events are often of one stream. */
let last = { stream: '', owner: streamOwner('') };
function ownerOf(stream: string): ReturnType<typeof streamOwner> {
  if (stream !== last.stream) last = { stream, owner: streamOwner(stream) };
  return last.owner;
}

const [shipDates, recordTimes, customers, destinations] = [
  interner(),
  interner(),
  interner(),
  interner(),
];

function shipmentEntry(
  event: RecordedEvent,
  data: Pick<ShipmentEntry, 'shipmentId' | 'shippedOn' | 'units' | 'customerRef' | 'destination'>,
): ShipmentEntry {
  const { eventId, position } = event;
  const { shipmentId, units } = data;
  const shippedOn = shipDates(data.shippedOn);
  const recordedAt = recordTimes(event.metadata.recordedAt);
  const entry: ShipmentEntry =
    data.customerRef === undefined
      ? { eventId, shipmentId, shippedOn, units, position, recordedAt, retractedAt: null }
      : {
          eventId,
          shipmentId,
          shippedOn,
          units,
          position,
          recordedAt,
          retractedAt: null,
          customerRef: customers(data.customerRef),
        };
  if (data.destination !== undefined) entry.destination = destinations(data.destination);
  return entry;
}

/** Whether a shipment is on record as known at a position. */
export function shipmentKnownAt(entry: ShipmentEntry, position: number): boolean {
  return entry.position <= position && (entry.retractedAt === null || entry.retractedAt > position);
}

/**
 * The shipments as known at `asKnownAt`, given the program facts as known then (`known`): those
 * recorded later are left out, and a retraction recorded later does not withdraw one yet.
 */
export function knownShipments(
  index: ShipmentsIndex,
  known: ProgramFactsIndex,
  asKnownAt?: AsKnownAt,
): ShipmentsIndex {
  if (!asKnownAt) return index;
  const isKnown = knownAt(asKnownAt);
  const byProgram = new Map<string, ShipmentEntry[]>();
  const byEventId = new Map<string, ShipmentEntry>();
  for (const [programId, list] of index.byProgram) {
    const retracted = new Set<string>();
    for (const f of known.programs.get(programId) ?? [])
      if (f.type === 'EventRetracted') retracted.add(f.data.retractedEventId);
    const kept = list
      .filter(isKnown)
      .map((s) => ({ ...s, retractedAt: retracted.has(s.eventId) ? s.retractedAt : null }));
    if (kept.length === 0) continue;
    byProgram.set(programId, kept);
    for (const s of kept) byEventId.set(s.eventId, s);
  }
  return { byProgram, byEventId };
}
