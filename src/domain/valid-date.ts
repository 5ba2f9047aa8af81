import type { CalendarDate } from './calendar.ts';
import type { Fact } from './events.ts';

/**
 * The valid date a fact speaks of, where it has one: the day the letter was received, the TDP
 * released, the application submitted or decided, the units shipped, the program ended.
 */
export function validDate(fact: Fact): CalendarDate | null {
  switch (fact.type) {
    case 'NoticeReceived':
      return fact.data.receivedOn;
    case 'TechnicalDataPackageReleased':
      return fact.data.releasedOn;
    case 'LicenseApplicationSubmitted':
      return fact.data.submittedOn;
    case 'LicenseApplicationDecided':
      return fact.data.decidedOn;
    case 'ShipmentRecorded':
      return fact.data.shippedOn;
    case 'ProgramEnded':
      return fact.data.endedOn;
    default:
      return null;
  }
}
