import { describe, expect, it } from 'vitest';
import {
  futureDateRefusal,
  type ProgramCommand,
  type SpecificationCommand,
} from '../../src/domain/index.ts';
import { extensionNotice } from '../support/founding-case.ts';

describe('a recorded fact dated after the day of recording is refused (issue 21 item 8)', () => {
  const notice = (receivedOn: string) =>
    ({ type: 'RecordNotice', data: { ...extensionNotice, receivedOn } }) as const;

  it('allows one day of grace for time zones, refuses the day after, naming the field', () => {
    expect(futureDateRefusal(notice('2007-06-01'), '2007-06-01')).toBeNull();
    expect(futureDateRefusal(notice('2007-06-02'), '2007-06-01')).toBeNull();
    const refusal = futureDateRefusal(notice('2007-06-03'), '2007-06-01');
    expect(refusal?.code).toBe('date-in-the-future');
    expect(refusal?.message).toBe(
      'receivedOn 2007-06-03 is in the future: a recorded fact is dated on or before the day it is recorded (2007-06-01, one day of grace: 2007-06-02)',
    );
  });

  it('checks every fact date, and no planned date', () => {
    const today = '2007-06-01';
    const commands: (ProgramCommand | SpecificationCommand)[] = [
      { type: 'RecordShipment', data: { shipmentId: 's', shippedOn: '2008-01-01', units: 1 } },
      { type: 'EndProgram', data: { endedOn: '2008-01-01', reason: 'r' } },
      {
        type: 'SubmitLicenseApplication',
        data: { applicationId: 'a', submittedOn: '2008-01-01', documentRef: 'd' },
      },
      {
        type: 'DecideLicenseApplication',
        data: {
          applicationId: 'a',
          decidedOn: '2008-01-01',
          decision: 'approved',
          reasons: [],
          resubmissionAllowed: false,
        },
      },
      {
        type: 'ReleaseTechnicalDataPackage',
        data: { releasedOn: '2008-01-01', publicRelease: true, documentRef: 'd' },
      },
    ];
    for (const c of commands) expect(futureDateRefusal(c, today)?.code).toBe('date-in-the-future');
    const planned: ProgramCommand = {
      type: 'RecordNotice',
      data: {
        ...extensionNotice,
        receivedOn: today,
        effectiveOn: '2008-01-01',
        terms: [{ kind: 'authorizes', from: '2008-01-01' }],
      },
    };
    expect(futureDateRefusal(planned, today)).toBeNull();
  });
});
