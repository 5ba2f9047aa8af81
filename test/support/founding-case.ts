import type { EventData } from '../../src/domain/index.ts';

/** The founding case of docs/design.md §1 and §5, shared by the domain, store and API tests. */
export const PROGRAM_ID = 'american-locker.1118e.private-market';
export const SUCCESSOR_SPEC = 'usps-b-1118f';

export const program: EventData<'ProgramRegistered'> = {
  programId: PROGRAM_ID,
  supplierId: 'american-locker',
  specificationId: 'usps-b-1118e',
  channel: 'private-market',
  regulator: 'USPS',
  description: 'Aluminum 1118E cluster box units for the private market',
};

export const successorSpecification: EventData<'SpecificationRegistered'> = {
  specificationId: SUCCESSOR_SPEC,
  regulator: 'USPS',
  title: 'USPS-B-1118F Cluster Box Unit',
  supersedes: 'usps-b-1118e',
};

export const extensionNotice: EventData<'NoticeReceived'> = {
  noticeId: 'usps-2005-12-08',
  issuer: 'United States Postal Service',
  receivedOn: '2005-12-08',
  documentRef: 'press-release-2005-12-08.txt',
  summary:
    'Supply of 1118E CBUs to the private market may continue for four months after the 1118F TDP public release.',
  terms: [
    {
      kind: 'sunset-after-trigger',
      trigger: { specificationId: SUCCESSOR_SPEC, event: 'tdp-public-release' },
      offset: { months: 4 },
    },
  ],
};

export const tdpRelease: EventData<'TechnicalDataPackageReleased'> = {
  specificationId: SUCCESSOR_SPEC,
  releasedOn: '2007-05-08',
  publicRelease: true,
  documentRef: 'USPS-B-1118F TDP rev A',
};
