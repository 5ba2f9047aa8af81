import { addDays, type CalendarDate } from './calendar.ts';
import type { ProgramCommand, SpecificationCommand } from './commands.ts';
import { type DomainError, refuse } from './errors.ts';

/**
 * The field that dates a fact which has already happened, per command. A planned date
 * (`effectiveOn`, a term's dates) may lie ahead; the day a letter arrived or units shipped may not.
 */
const FACT_DATE = {
  RecordNotice: 'receivedOn',
  ReleaseTechnicalDataPackage: 'releasedOn',
  SubmitLicenseApplication: 'submittedOn',
  DecideLicenseApplication: 'decidedOn',
  RecordShipment: 'shippedOn',
  EndProgram: 'endedOn',
} as const;

/** One day of grace: the recorder's calendar may be a time zone ahead of UTC. */
const GRACE_DAYS = 1;

/**
 * Refuses a recorded fact dated after the day of recording (`today`, UTC, plus a day of grace):
 * a mistyped year would otherwise move a shipment out of a violation. Only commands refuse it;
 * events already in a ledger are read as they are.
 */
export function futureDateRefusal(
  command: ProgramCommand | SpecificationCommand,
  today: CalendarDate,
): DomainError | null {
  const field = FACT_DATE[command.type as keyof typeof FACT_DATE];
  if (!field) return null;
  const date = (command.data as Record<string, unknown>)[field];
  const latest = addDays(today, GRACE_DAYS);
  if (typeof date !== 'string' || date <= latest) return null;
  return refuse(
    'date-in-the-future',
    `${field} ${date} is in the future: a recorded fact is dated on or before the day it is recorded (${today}, one day of grace: ${latest})`,
  );
}
