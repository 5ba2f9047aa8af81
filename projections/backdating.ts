import { dateOfInstant, daysBetween, type Fact, streams, validDate } from '../src/domain/index.ts';
import type { ProgramFactsIndex } from './program-facts.ts';
import type { ShipmentsIndex } from './shipments.ts';

export interface BackdatedFact {
  eventId: string;
  stream: string;
  type: string;
  position: number;
  validDate: string;
  recordedAt: string;
  /** Whole days between the valid date and the day it was recorded (UTC). */
  lagDays: number;
}

/** Facts recorded more than `thresholdDays` after their valid date, most delayed first. */
export function backdating(
  facts: ProgramFactsIndex,
  shipments: ShipmentsIndex,
  thresholdDays: number,
  /** Only this program's facts and shipments (and the specifications'), as a report needs. */
  onlyProgram?: string,
): BackdatedFact[] {
  const programs =
    onlyProgram === undefined
      ? [...facts.programs.values()]
      : [facts.programs.get(onlyProgram) ?? []];
  const shipped =
    onlyProgram === undefined
      ? shipments.byProgram
      : [[onlyProgram, shipments.byProgram.get(onlyProgram) ?? []] as const];
  const found: BackdatedFact[] = [];
  const consider = (
    f: Pick<Fact, 'eventId' | 'stream' | 'type' | 'position' | 'recordedAt'>,
    valid: string | null,
  ) => {
    if (!valid) return;
    const lagDays = daysBetween(valid, dateOfInstant(f.recordedAt));
    if (lagDays > thresholdDays)
      found.push({
        eventId: f.eventId,
        stream: f.stream,
        type: f.type,
        position: f.position,
        validDate: valid,
        recordedAt: f.recordedAt,
        lagDays,
      });
  };
  for (const list of [...programs, ...facts.specifications.values()])
    for (const f of list) consider(f, validDate(f));
  for (const [programId, list] of shipped)
    for (const s of list)
      consider(
        {
          eventId: s.eventId,
          stream: streams.program(programId),
          type: 'ShipmentRecorded',
          position: s.position,
          recordedAt: s.recordedAt,
        },
        s.shippedOn,
      );
  return found.sort((a, b) => b.lagDays - a.lagDays || a.position - b.position);
}
