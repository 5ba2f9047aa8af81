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

/**
 * Commands name what a client asks for. Their payloads are the event payloads they would
 * record, less the aggregate's own id where the stream already says it.
 */
const command = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({ type: z.literal(type), data });

export const RegisterSpecification = SpecificationRegistered;
export const ReleaseTechnicalDataPackage = TechnicalDataPackageReleased.omit({
  specificationId: true,
});
export const RegisterProgram = ProgramRegistered;
export const RecordNotice = NoticeReceived;
export const SubmitLicenseApplication = LicenseApplicationSubmitted;
export const DecideLicenseApplication = LicenseApplicationDecided;
export const RecordShipment = ShipmentRecorded;
export const RecordCheck = ShipmentChecked;
export const EndProgram = ProgramEnded;
export const RetractEvent = EventRetracted;

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
