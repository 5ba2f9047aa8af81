import { handleProgramCommand, handleSpecificationCommand } from '../commands/handle-command.ts';
import type { EventStore } from '../eventstore/port.ts';

export const EXAMPLE_PROGRAM = 'american-locker.1118e.private-market';

/**
 * The founding case as the press release of 2005-12-08 knew it: the 1118E and 1118F
 * specifications are registered, its TDP not yet released, and USPS lets American Locker keep supplying 1118E
 * units to the private market until four months after that release.
 */
export async function seedExample(store: EventStore): Promise<number> {
  // Keyed, so seeding twice records nothing twice.
  const as = (step: string) => ({
    recordedBy: 'seed-example',
    idempotencyKey: `seed-example:${step}`,
  });
  // Specifications first: a program or a notice naming an unregistered one is refused.
  await handleSpecificationCommand(
    store,
    'usps-b-1118e',
    {
      type: 'RegisterSpecification',
      data: {
        specificationId: 'usps-b-1118e',
        regulator: 'USPS',
        title: 'USPS-B-1118E Cluster Box Unit',
      },
    },
    as('specification-1118e'),
  );
  await handleSpecificationCommand(
    store,
    'usps-b-1118f',
    {
      type: 'RegisterSpecification',
      data: {
        specificationId: 'usps-b-1118f',
        regulator: 'USPS',
        title: 'USPS-B-1118F Cluster Box Unit',
        supersedes: 'usps-b-1118e',
      },
    },
    as('specification'),
  );
  await handleProgramCommand(
    store,
    EXAMPLE_PROGRAM,
    {
      type: 'RegisterProgram',
      data: {
        programId: EXAMPLE_PROGRAM,
        supplierId: 'american-locker',
        specificationId: 'usps-b-1118e',
        channel: 'private-market',
        regulator: 'USPS',
        description: '1118E aluminum Cluster Box Units supplied to the private market',
      },
    },
    as('program'),
  );
  const notice = await handleProgramCommand(
    store,
    EXAMPLE_PROGRAM,
    {
      type: 'RecordNotice',
      data: {
        noticeId: 'usps-2005-12-08',
        issuer: 'United States Postal Service',
        receivedOn: '2005-12-08',
        documentRef: 'American Locker Group press release 2005-17 (Business Wire, 2005-12-08)',
        summary:
          'The supply program of 1118E CBUs to the private market may continue for four months after the eventual public release of the TDP for the new 1118F CBU model.',
        terms: [
          {
            kind: 'sunset-after-trigger',
            trigger: { specificationId: 'usps-b-1118f', event: 'tdp-public-release' },
            offset: { months: 4 },
          },
        ],
      },
    },
    as('notice'),
  );
  return notice.position;
}
