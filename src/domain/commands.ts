import { z } from 'zod';
import {
  EventRetracted,
  LicenseApplicationDecided,
  LicenseApplicationSubmitted,
  NoticeReceived,
  ProgramEnded,
  ProgramRegistered,
  ShipmentChecked,
  ShipmentRecorded,
  SpecificationRegistered,
  TechnicalDataPackageReleased,
} from './events.ts';
import { recordable } from './recordable.ts';

/**
 * Commands name what a client asks for. Their payloads are the event payloads they would
 * record, less the aggregate's own id where the stream already says it.
 */
const command = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({ type: z.literal(type), data });

export const RegisterSpecification = recordable(SpecificationRegistered);
export const ReleaseTechnicalDataPackage = recordable(
  TechnicalDataPackageReleased.omit({ specificationId: true }),
);
export const RegisterProgram = recordable(ProgramRegistered);
export const RecordNotice = recordable(NoticeReceived);
export const SubmitLicenseApplication = recordable(LicenseApplicationSubmitted);
export const DecideLicenseApplication = recordable(LicenseApplicationDecided);
export const RecordShipment = recordable(ShipmentRecorded);
export const RecordCheck = recordable(ShipmentChecked);
export const EndProgram = recordable(ProgramEnded);
export const RetractEvent = recordable(EventRetracted);
/** An order line before it ships (a check): a shipment's terms, its date possibly ahead. */
export const PlannedShipment = ShipmentRecorded.pick({
  shippedOn: true,
  units: true,
  customerRef: true,
  destination: true,
});
/** A retraction as the route takes it: the retracted event is named in its URL. */
export const RetractionReason = recordable(EventRetracted.omit({ retractedEventId: true }));

export const SpecificationCommand = z.discriminatedUnion('type', [
  command('RegisterSpecification', RegisterSpecification),
  command('ReleaseTechnicalDataPackage', ReleaseTechnicalDataPackage),
  command('RetractEvent', RetractEvent),
]);

export const ProgramCommand = z.discriminatedUnion('type', [
  command('RegisterProgram', RegisterProgram),
  command('RecordNotice', RecordNotice),
  command('SubmitLicenseApplication', SubmitLicenseApplication),
  command('DecideLicenseApplication', DecideLicenseApplication),
  command('RecordShipment', RecordShipment),
  command('RecordCheck', RecordCheck),
  command('EndProgram', EndProgram),
  command('RetractEvent', RetractEvent),
]);

export type SpecificationCommand = z.infer<typeof SpecificationCommand>;
export type ProgramCommand = z.infer<typeof ProgramCommand>;
