import { z } from 'zod';

/** The statuses of DESIGN §5; the API and CLI reuse this enum rather than restating it. */
export const Status = z.enum([
  'not-authorized',
  'application-pending',
  'application-rejected',
  'authorized',
  'suspended',
  'expired',
  'revoked',
  'ended',
]);
export type Status = z.infer<typeof Status>;

/** The rule that produced a status, so an auditor can follow it back to the letter. */
export const Rule = z.enum([
  'program-unknown',
  'no-authorization',
  'before-authorization',
  'application-pending',
  'application-rejected',
  'authorized-by-notice',
  'authorized-by-license-approval',
  'authorized-as-continued-by-notice',
  'suspended-by-notice',
  'expired-by-sunset-after-trigger',
  'expired-by-ends-on',
  'revoked-by-notice',
  'ended-by-supplier',
]);
export type Rule = z.infer<typeof Rule>;
