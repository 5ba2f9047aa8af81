import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { problemType } from '../../src/api/problems.ts';
import {
  currentSpecification,
  extensionNotice,
  PROGRAM_ID,
  program,
  SUCCESSOR_SPEC,
  successorSpecification,
} from '../support/founding-case.ts';
import {
  createTestFiles,
  expectNoStackTrace,
  expectProblem,
  expectRecorded,
  expectValidationProblem,
  metricValue,
  paths,
  type Response,
  recordFoundingCase,
  registerSpecifications,
  seenResponses,
  startApi,
  type TestApi,
  tdpReleaseBody,
} from './support.ts';

/** A second program, applying for a license rather than living on a notice. */
const ACME = 'acme.1118f.regulator-purchased';
const acmeProgram = {
  programId: ACME,
  supplierId: 'acme',
  specificationId: SUCCESSOR_SPEC,
  channel: 'regulator-purchased',
  regulator: 'USPS',
};
const application = {
  applicationId: 'acme-2007-01',
  submittedOn: '2007-06-15',
  documentRef: 'acme-application-2007-06-15.pdf',
};
const approval = {
  applicationId: 'acme-2007-01',
  decidedOn: '2008-01-10',
  decision: 'approved',
  reasons: ['meets USPS-B-1118F'],
  resubmissionAllowed: false,
};
const lateShipment = { shipmentId: 'ship-2007-09-10', shippedOn: '2007-09-10', units: 40 };

const status = async (api: TestApi, query: string, id = PROGRAM_ID) => {
  const response = await api.get(paths.status(query, id));
  expect(response.statusCode, response.body).toBe(200);
  return response.data;
};
const auditTrail = async (api: TestApi, id = PROGRAM_ID) => {
  const response = await api.get(`/v1/programs/${id}/audit-trail`);
  expect(response.statusCode, response.body).toBe(200);
  return response.data.entries as { eventId: string; type: string; retractedBy: string | null }[];
};

describe('each command route records its fact and the read models show it at once', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startApi();
  });
  afterEach(() => api.close());

  it('POST /v1/specifications', async () => {
    expectRecorded(await api.post(paths.specifications, currentSpecification));
    expectRecorded(await api.post(paths.programs, program));
    const recorded = expectRecorded(await api.post(paths.specifications, successorSpecification));
    expect(recorded).toMatchObject({
      stream: `specification-${SUCCESSOR_SPEC}`,
      revision: 0,
      position: 3,
    });
    expectRecorded(await api.post(paths.program('notices'), extensionNotice));
    const entries = await auditTrail(api);
    expect(entries.find((e) => e.eventId === recorded.eventId)?.type).toBe(
      'SpecificationRegistered',
    );
    expect(await api.eventCount()).toBe(4);
  });

  it('POST /v1/specifications/:id/tdp-releases', async () => {
    await recordFoundingCase(api);
    expect(await status(api, 'at=2007-06-01')).toMatchObject({ until: null });
    const response = await api.post(paths.tdpReleases(), tdpReleaseBody);
    const recorded = expectRecorded(response);
    expect(recorded).toMatchObject({ stream: `specification-${SUCCESSOR_SPEC}`, revision: 1 });
    expect(response.headers.etag).toBe('"1"');
    const now = await status(api, 'at=2007-06-01');
    expect(now).toMatchObject({ status: 'authorized', until: '2007-09-08', pendingConditions: [] });
    expect(now.basis.map((b: { eventId: string }) => b.eventId)).toContain(recorded.eventId);
  });

  it('POST /v1/programs', async () => {
    await registerSpecifications(api);
    const response = await api.post(paths.programs, program);
    expect(expectRecorded(response)).toMatchObject({
      stream: `program-${PROGRAM_ID}`,
      revision: 0,
      position: 3,
    });
    expect(response.headers.etag).toBe('"0"');
    const listed = await api.get('/v1/programs?at=2006-01-01');
    expect(listed.data.programs).toHaveLength(1);
    expect(listed.data.programs[0]).toMatchObject({
      programId: PROGRAM_ID,
      supplierId: 'american-locker',
      status: { at: '2006-01-01', status: 'not-authorized' },
    });
  });

  it('POST /v1/programs/:id/notices, and the same notice again is already recorded', async () => {
    await registerSpecifications(api);
    expectRecorded(await api.post(paths.programs, program));
    const recorded = expectRecorded(await api.post(paths.program('notices'), extensionNotice));
    expect(recorded).toMatchObject({ stream: `program-${PROGRAM_ID}`, revision: 1, position: 4 });
    const known = await status(api, 'at=2006-06-01');
    expect(known).toMatchObject({
      status: 'authorized',
      authorizedFrom: '2005-12-08',
      until: null,
    });
    expect(known.pendingConditions).toHaveLength(1);
    expect(known.basis.map((b: { eventId: string }) => b.eventId)).toContain(recorded.eventId);

    const again = await api.post(paths.program('notices'), extensionNotice);
    expect(again.statusCode).toBe(200);
    expect(again.data).toMatchObject({
      eventId: null,
      stream: `program-${PROGRAM_ID}`,
      revision: 1,
      position: 4,
      alreadyRecorded: true,
      events: [],
    });
    expect(again.headers.etag).toBe('"1"');
    expect(await api.eventCount()).toBe(4);
  });

  it('POST /v1/programs/:id/license-applications', async () => {
    await registerSpecifications(api);
    expectRecorded(await api.post(paths.programs, acmeProgram));
    const recorded = expectRecorded(
      await api.post(paths.program('license-applications', ACME), application),
    );
    expect(recorded).toMatchObject({ stream: `program-${ACME}`, revision: 1 });
    expect(await status(api, 'at=2007-07-01', ACME)).toMatchObject({
      status: 'application-pending',
    });
  });

  it('POST /v1/programs/:id/license-decisions', async () => {
    await registerSpecifications(api);
    expectRecorded(await api.post(paths.programs, acmeProgram));
    expectRecorded(await api.post(paths.program('license-applications', ACME), application));
    const recorded = expectRecorded(
      await api.post(paths.program('license-decisions', ACME), approval),
    );
    expect(recorded).toMatchObject({ stream: `program-${ACME}`, revision: 2 });
    expect(await status(api, 'at=2008-02-01', ACME)).toMatchObject({
      status: 'authorized',
      authorizedFrom: '2008-01-10',
    });
  });

  it('POST /v1/programs/:id/shipments (recorded even outside the authorization, and flagged)', async () => {
    await recordFoundingCase(api, { tdp: true });
    const recorded = expectRecorded(await api.post(paths.program('shipments'), lateShipment));
    expect(recorded).toMatchObject({ stream: `program-${PROGRAM_ID}`, revision: 2 });
    const { data } = await api.get('/v1/compliance/violations');
    expect(data.violations).toEqual([
      expect.objectContaining({
        programId: PROGRAM_ID,
        shipmentId: lateShipment.shipmentId,
        eventId: recorded.eventId,
        asKnownNow: expect.objectContaining({ status: 'expired', compliant: false }),
      }),
    ]);
  });

  it('POST /v1/programs/:id/end', async () => {
    await recordFoundingCase(api);
    const recorded = expectRecorded(
      await api.post(paths.program('end'), { endedOn: '2006-06-01', reason: 'stock sold out' }),
    );
    expect(recorded).toMatchObject({ stream: `program-${PROGRAM_ID}`, revision: 2 });
    expect(await status(api, 'at=2006-07-01')).toMatchObject({ status: 'ended' });
    expect(await status(api, 'at=2006-05-01')).toMatchObject({ status: 'authorized' });
  });

  it('POST /v1/events/:eventId/retractions (a TDP release and a shipment)', async () => {
    const { tdp } = await recordFoundingCase(api, { tdp: true });
    const tdpId = tdp?.eventId as string;
    const retraction = expectRecorded(
      await api.post(paths.retractions(tdpId), { reason: 'release date was misread' }),
    );
    expect(retraction).toMatchObject({ stream: `specification-${SUCCESSOR_SPEC}`, revision: 2 });
    const after = await status(api, 'at=2007-06-01');
    expect(after).toMatchObject({ status: 'authorized', until: null });
    expect(after.pendingConditions).toHaveLength(1);
    const entries = await auditTrail(api);
    expect(entries.find((e) => e.eventId === tdpId)?.retractedBy).toBe(retraction.eventId);

    const shipment = expectRecorded(await api.post(paths.program('shipments'), lateShipment));
    const shipmentRetraction = expectRecorded(
      await api.post(paths.retractions(shipment.eventId), { reason: 'entered twice' }),
    );
    expect(shipmentRetraction).toMatchObject({ stream: `program-${PROGRAM_ID}`, revision: 3 });
    expect((await auditTrail(api)).map((e) => e.type)).toContain('EventRetracted');
  });
});

describe('refused commands write nothing', () => {
  let api: TestApi;
  let seeded: Awaited<ReturnType<typeof recordFoundingCase>>;
  let count: number;
  beforeAll(async () => {
    api = await startApi();
    seeded = await recordFoundingCase(api, { tdp: true });
    expectRecorded(await api.post(paths.program('shipments'), lateShipment));
    expectRecorded(await api.post(paths.programs, acmeProgram));
    expectRecorded(
      await api.post(paths.program('end', ACME), { endedOn: '2008-01-01', reason: 'x' }),
    );
    count = await api.eventCount();
  });
  afterAll(() => api.close());

  const unchanged = async () => expect(await api.eventCount()).toBe(count);

  describe('validation: 400, every bad field named by its path', () => {
    const cases: {
      name: string;
      url: () => string;
      body: unknown;
      headers?: Record<string, string>;
      paths: string[];
    }[] = [
      {
        name: 'POST /v1/specifications',
        url: () => paths.specifications,
        body: { specificationId: 'Not A Slug!', regulator: '', title: 'x' },
        paths: ['body.specificationId', 'body.regulator'],
      },
      {
        name: 'POST /v1/specifications/:id/tdp-releases',
        url: () => paths.tdpReleases(),
        body: { releasedOn: '2007-02-30', publicRelease: 'yes', documentRef: 'tdp' },
        paths: ['body.releasedOn', 'body.publicRelease'],
      },
      {
        name: 'POST /v1/programs (an unknown field is named too)',
        url: () => paths.programs,
        body: { ...program, supplierId: '!!', channel: 'retail', color: 'blue' },
        paths: ['body.supplierId', 'body.channel', 'body.color'],
      },
      {
        name: 'POST /v1/programs/:id/notices (nested term fields)',
        url: () => paths.program('notices'),
        body: {
          ...extensionNotice,
          noticeId: 'usps-2006-01-01',
          receivedOn: '2006-13-01',
          terms: [{ kind: 'grants' }, { kind: 'ends-on', effectiveOn: 'soon' }],
        },
        paths: ['body.receivedOn', 'body.terms.0.kind', 'body.terms.1.effectiveOn'],
      },
      {
        name: 'POST /v1/programs/:id/license-applications',
        url: () => paths.program('license-applications'),
        body: { applicationId: '', submittedOn: 'yesterday', documentRef: 'a' },
        paths: ['body.applicationId', 'body.submittedOn'],
      },
      {
        name: 'POST /v1/programs/:id/license-decisions',
        url: () => paths.program('license-decisions'),
        body: { ...approval, decision: 'maybe', reasons: 'none', resubmissionAllowed: 'no' },
        paths: ['body.decision', 'body.reasons', 'body.resubmissionAllowed'],
      },
      {
        name: 'POST /v1/programs/:id/shipments',
        url: () => paths.program('shipments'),
        body: { shipmentId: 'ship-2', shippedOn: '2007-9-1', units: 0 },
        paths: ['body.shippedOn', 'body.units'],
      },
      {
        name: 'POST /v1/programs/:id/end',
        url: () => paths.program('end'),
        body: { endedOn: '', reason: '', expectedRevision: 1.5 },
        paths: ['body.endedOn', 'body.reason', 'body.expectedRevision'],
      },
      {
        name: 'POST /v1/events/:eventId/retractions',
        url: () => paths.retractions(seeded.notice.eventId),
        body: { reason: '', expectedRevision: -5 },
        paths: ['body.reason', 'body.expectedRevision'],
      },
      {
        name: 'a bad event id in the path',
        url: () => paths.retractions('not-a-uuid'),
        body: { reason: 'x' },
        paths: ['params.eventId'],
      },
      {
        name: 'a bad program id in the path',
        url: () => '/v1/programs/not%20a%20slug!/shipments',
        body: lateShipment,
        paths: ['params.id'],
      },
      {
        name: 'bad Idempotency-Key and If-Match headers',
        url: () => paths.program('shipments'),
        body: { ...lateShipment, shipmentId: 'ship-3' },
        headers: { 'idempotency-key': 'not visible ascii', 'if-match': 'three' },
        paths: ['headers.idempotency-key', 'headers.if-match'],
      },
    ];
    it.each(cases)('$name', async ({ url, body, headers, paths: expected }) => {
      const response = await api.post(url(), body, { ...(headers ? { headers } : {}) });
      const named = expectValidationProblem(response);
      for (const path of expected) expect(named).toContain(path);
      await unchanged();
    });
  });

  describe('domain refusals: a stable type and code', () => {
    const cases: {
      name: string;
      url: () => string;
      body: () => unknown;
      status: number;
      code: string;
    }[] = [
      {
        name: 'a specification registered twice with other content',
        url: () => paths.specifications,
        body: () => ({ ...successorSpecification, title: 'another title' }),
        status: 422,
        code: 'already-registered',
      },
      {
        name: 'a second TDP release',
        url: () => paths.tdpReleases(),
        body: () => ({ ...tdpReleaseBody, releasedOn: '2007-06-01' }),
        status: 422,
        code: 'tdp-already-released',
      },
      {
        name: 'a TDP release of an unknown specification',
        url: () => paths.tdpReleases('usps-b-9999'),
        body: () => tdpReleaseBody,
        status: 404,
        code: 'not-registered',
      },
      {
        name: 'a program registered twice with other content',
        url: () => paths.programs,
        body: () => ({ ...program, channel: 'regulator-purchased' }),
        status: 422,
        code: 'already-registered',
      },
      {
        name: 'a notice on an unknown program',
        url: () => paths.program('notices', 'no-such-program'),
        body: () => extensionNotice,
        status: 404,
        code: 'not-registered',
      },
      {
        name: 'a notice id recorded with other content',
        url: () => paths.program('notices'),
        body: () => ({ ...extensionNotice, summary: 'something else' }),
        status: 422,
        code: 'notice-id-conflict',
      },
      {
        name: 'a license application on an unknown program',
        url: () => paths.program('license-applications', 'no-such-program'),
        body: () => application,
        status: 404,
        code: 'not-registered',
      },
      {
        name: 'a decision on an unknown application',
        url: () => paths.program('license-decisions'),
        body: () => approval,
        status: 422,
        code: 'unknown-application',
      },
      {
        name: 'a shipment on an unknown program',
        url: () => paths.program('shipments', 'no-such-program'),
        body: () => lateShipment,
        status: 404,
        code: 'not-registered',
      },
      {
        name: 'a shipment id recorded with other content',
        url: () => paths.program('shipments'),
        body: () => ({ ...lateShipment, units: 41 }),
        status: 422,
        code: 'shipment-id-conflict',
      },
      {
        name: 'ending a program twice',
        url: () => paths.program('end', ACME),
        body: () => ({ endedOn: '2008-02-01', reason: 'again' }),
        status: 422,
        code: 'program-ended',
      },
      {
        name: 'retracting a registration',
        url: () => paths.retractions(seeded.registered.eventId),
        body: () => ({ reason: 'no' }),
        status: 422,
        code: 'not-retractable',
      },
    ];
    it.each(cases)('$name -> $status refused/$code', async ({ url, body, status, code }) => {
      const problem = expectProblem(await api.post(url(), body()), status, `refused/${code}`);
      expect(problem.code).toBe(code);
      expect(problem.title).toBe('Command refused');
      await unchanged();
    });

    it('retracting an event the ledger does not hold -> 404', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      expectProblem(await api.post(paths.retractions(unknown), { reason: 'x' }), 404, 'not-found');
      await unchanged();
    });

    it('a shipment already retracted cannot be retracted again', async () => {
      // Recorded in its own app: this one must not change.
      const other = await startApi();
      try {
        await recordFoundingCase(other);
        const s = expectRecorded(await other.post(paths.program('shipments'), lateShipment));
        expectRecorded(await other.post(paths.retractions(s.eventId), { reason: 'typo' }));
        const before = await other.eventCount();
        const again = await other.post(paths.retractions(s.eventId), { reason: 'typo' });
        expect(expectProblem(again, 422, 'refused/already-retracted').code).toBe(
          'already-retracted',
        );
        expect(await other.eventCount()).toBe(before);
      } finally {
        await other.close();
      }
    });
  });
});

describe('Idempotency-Key', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startApi();
  });
  afterEach(() => api.close());

  const withKey = (key: string) => ({ headers: { 'idempotency-key': key } });
  const comparable = (r: Response) => ({
    status: r.statusCode,
    etag: r.headers.etag,
    body: r.data,
  });

  it('a retry with the same key and body returns the original response and writes nothing', async () => {
    await recordFoundingCase(api, { tdp: true });
    const first = await api.post(paths.program('shipments'), lateShipment, withKey('ship-1'));
    expectRecorded(first);
    const count = await api.eventCount();
    const appended = await metricValue(api, 'ledger_appended_events_total');

    const retry = await api.post(paths.program('shipments'), lateShipment, withKey('ship-1'));
    expect(comparable(retry)).toEqual(comparable(first));
    expect(await api.eventCount()).toBe(count);
    // A replay appended nothing, so the metric does not count it.
    expect(await metricValue(api, 'ledger_appended_events_total')).toBe(appended);

    // Still the original answer after the stream moved on.
    expectRecorded(await api.post(paths.program('end'), { endedOn: '2008-01-01', reason: 'x' }));
    const later = await api.post(paths.program('shipments'), lateShipment, withKey('ship-1'));
    expect(comparable(later)).toEqual(comparable(first));
    expect(await api.eventCount()).toBe(count + 1);
  });

  it('the event id is derived from the principal and the key, and recorded in the metadata', async () => {
    await registerSpecifications(api);
    const first = expectRecorded(await api.post(paths.programs, program, withKey('register-1')));
    const { data } = await api.get('/v1/events');
    expect(data.events[2]).toMatchObject({
      eventId: first.eventId,
      metadata: { idempotencyKey: 'register-1', recordedBy: 'recorder-client' },
    });
    // Another principal's key space is its own: the same key is a new request for it.
    const other = await api.post(paths.programs, acmeProgram, {
      ...withKey('register-1'),
      as: 'admin',
    });
    expect(expectRecorded(other).eventId).not.toBe(first.eventId);
  });

  it('the same key with another body -> 422 idempotency-key-reused, nothing written', async () => {
    await recordFoundingCase(api);
    expectRecorded(await api.post(paths.program('shipments'), lateShipment, withKey('k-1')));
    const count = await api.eventCount();
    const sameStream = await api.post(
      paths.program('shipments'),
      { ...lateShipment, shipmentId: 'ship-other' },
      withKey('k-1'),
    );
    expectProblem(sameStream, 422, 'idempotency-key-reused');
    const otherStream = await api.post(paths.programs, acmeProgram, withKey('k-1'));
    expectProblem(otherStream, 422, 'idempotency-key-reused');
    expect(await api.eventCount()).toBe(count);
  });

  it('concurrent retries of one request record it once and all get the original answer', async () => {
    const files = createTestFiles();
    const sqlite = await startApi({ files, store: 'sqlite' });
    try {
      await registerSpecifications(sqlite);
      const responses = await Promise.all(
        [1, 2, 3, 4].map(() => sqlite.post(paths.programs, program, withKey('burst'))),
      );
      const first = responses[0] as Response;
      expectRecorded(first);
      for (const r of responses) expect(comparable(r)).toEqual(comparable(first));
      expect(await sqlite.eventCount()).toBe(3);
    } finally {
      await sqlite.close();
      files.remove();
    }
  });

  it('a key survives a restart: the ledger itself is the idempotency record', async () => {
    const files = createTestFiles();
    try {
      const before = await startApi({ files, store: 'sqlite' });
      await recordFoundingCase(before);
      const first = await before.post(paths.program('shipments'), lateShipment, withKey('k-r'));
      expectRecorded(first);
      const count = await before.eventCount();
      await before.close();

      const after = await startApi({ files, store: 'sqlite' });
      try {
        const retry = await after.post(paths.program('shipments'), lateShipment, withKey('k-r'));
        expect(comparable(retry)).toEqual(comparable(first));
        expect(await after.eventCount()).toBe(count);
        const reused = await after.post(
          paths.program('shipments'),
          { ...lateShipment, units: 1 },
          withKey('k-r'),
        );
        expectProblem(reused, 422, 'idempotency-key-reused');
        expect(await after.eventCount()).toBe(count);
      } finally {
        await after.close();
      }
    } finally {
      files.remove();
    }
  });
});

describe('optimistic concurrency', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startApi();
    await recordFoundingCase(api); // program stream at revision 1
  });
  afterEach(() => api.close());

  it('expectedRevision in the body: a mismatch is 409 revision-conflict, a match succeeds', async () => {
    const count = await api.eventCount();
    const stale = await api.post(paths.program('shipments'), {
      ...lateShipment,
      expectedRevision: 0,
    });
    expectProblem(stale, 409, 'revision-conflict');
    expect(await api.eventCount()).toBe(count);
    const current = await api.post(paths.program('shipments'), {
      ...lateShipment,
      expectedRevision: 1,
    });
    expect(expectRecorded(current).revision).toBe(2);
  });

  it('If-Match: a mismatching ETag is 412 precondition-failed, the current one succeeds', async () => {
    const count = await api.eventCount();
    const stale = await api.post(paths.program('shipments'), lateShipment, {
      headers: { 'if-match': '"0"' },
    });
    expectProblem(stale, 412, 'precondition-failed');
    // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches, not even the current revision.
    const weak = await api.post(paths.program('shipments'), lateShipment, {
      headers: { 'if-match': 'W/"1"' },
    });
    expectProblem(weak, 412, 'precondition-failed');
    expect(await api.eventCount()).toBe(count);

    const current = await api.post(paths.program('shipments'), lateShipment, {
      headers: { 'if-match': '"1"' },
    });
    expectRecorded(current);
    // The ETag a command returns is the precondition for the next one.
    const next = await api.post(
      paths.program('end'),
      { endedOn: '2008-01-01', reason: 'x' },
      { headers: { 'if-match': current.headers.etag as string } },
    );
    expect(expectRecorded(next).revision).toBe(3);
  });

  it('a TDP release with If-Match on the specification stream', async () => {
    expectProblem(
      await api.post(paths.tdpReleases(), tdpReleaseBody, { headers: { 'if-match': '"5"' } }),
      412,
      'precondition-failed',
    );
    expectRecorded(
      await api.post(paths.tdpReleases(), tdpReleaseBody, { headers: { 'if-match': '"0"' } }),
    );
  });

  it('If-Match and expectedRevision that disagree -> 400', async () => {
    const count = await api.eventCount();
    const response = await api.post(
      paths.program('shipments'),
      { ...lateShipment, expectedRevision: 1 },
      { headers: { 'if-match': '"2"' } },
    );
    expectProblem(response, 400, 'validation');
    expect(await api.eventCount()).toBe(count);
  });
});

describe('request limits', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ env: { LEDGER_BODY_LIMIT: '1024' } });
    await recordFoundingCase(api);
  });
  afterAll(() => api.close());

  it('a body over LEDGER_BODY_LIMIT -> 413 problem, nothing written', async () => {
    const count = await api.eventCount();
    const big = { ...extensionNotice, noticeId: 'big', summary: 'x'.repeat(2000) };
    expectProblem(await api.post(paths.program('notices'), big), 413, 'body-too-large');
    expect(await api.eventCount()).toBe(count);
  });

  it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded'])(
    'a %s body -> 415 problem, nothing written',
    async (type) => {
      const count = await api.eventCount();
      const response = await api.post(paths.program('shipments'), JSON.stringify(lateShipment), {
        headers: { 'content-type': type },
      });
      expectProblem(response, 415, 'unsupported-media-type');
      expect(await api.eventCount()).toBe(count);
    },
  );

  it('malformed JSON -> 400 problem, nothing written', async () => {
    const count = await api.eventCount();
    const response = await api.post(paths.program('shipments'), '{"shipmentId": "s",', {
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 400, 'malformed-body');
    expect(await api.eventCount()).toBe(count);
  });
});

describe('rate limit per API key', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ env: { LEDGER_RATE_LIMIT: '3' } });
  });
  afterAll(() => api.close());

  it('the 4th request of one key in a minute is 429 with retry-after; another key still passes', async () => {
    await registerSpecifications(api, { as: 'admin' });
    expectRecorded(await api.post(paths.programs, program));
    for (let i = 0; i < 2; i++)
      expect((await api.get('/v1/events', { as: 'recorder' })).statusCode).toBe(200);
    const head = await api.app.ledger.store.headPosition();

    const limited = await api.post(paths.programs, acmeProgram);
    const problem = expectProblem(limited, 429, 'rate-limited');
    expect(problem.detail).toContain('3 requests per minute');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(await api.app.ledger.store.headPosition()).toBe(head);

    expect((await api.get('/v1/events', { as: 'auditor' })).statusCode).toBe(200);
    expectRecorded(await api.post(paths.programs, acmeProgram, { as: 'admin' }));
  });
});

describe('every answer above', () => {
  it('is free of stack traces and internal paths', () => {
    expect(seenResponses.length).toBeGreaterThan(100);
    for (const response of seenResponses) expectNoStackTrace(response);
    for (const response of seenResponses.filter((r) => r.statusCode >= 400))
      expect(response.data.type).toMatch(problemType(''));
  });
});

describe('issue 21: the same fact twice is one fact; a fact dated in the future is refused', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startApi();
  });
  afterEach(() => api.close());

  const eventCount = async () =>
    ((await api.get('/v1/events', { as: 'auditor' })).data.events as unknown[]).length;

  it('an identical specification, TDP release or program sent again answers 200; other content stays refused', async () => {
    await registerSpecifications(api);
    expectRecorded(await api.post(paths.tdpReleases(), tdpReleaseBody));
    expectRecorded(await api.post(paths.programs, program));
    const before = await eventCount();
    for (const [path, body] of [
      [paths.specifications, successorSpecification],
      [paths.tdpReleases(), tdpReleaseBody],
      [paths.programs, program],
    ] as const) {
      const again = await api.post(path, body);
      expect(again.statusCode, again.body).toBe(200);
      expect(again.data).toMatchObject({ alreadyRecorded: true, events: [] });
    }
    expectProblem(
      await api.post(paths.specifications, { ...successorSpecification, title: 'other' }),
      422,
      'refused/already-registered',
    );
    expectProblem(
      await api.post(paths.tdpReleases(), { ...tdpReleaseBody, releasedOn: '2007-05-09' }),
      422,
      'refused/tdp-already-released',
    );
    expect(await eventCount()).toBe(before);
  });

  it('a notice received 2999-01-01 is refused 422 date-in-the-future naming receivedOn, nothing written', async () => {
    await registerSpecifications(api);
    expectRecorded(await api.post(paths.programs, program));
    const before = await eventCount();
    const problem = expectProblem(
      await api.post(paths.program('notices'), { ...extensionNotice, receivedOn: '2999-01-01' }),
      422,
      'refused/date-in-the-future',
    );
    expect(problem.detail).toMatch(/^receivedOn 2999-01-01 is in the future/);
    const shipment = expectProblem(
      await api.post(paths.program('shipments'), {
        shipmentId: 's-1',
        shippedOn: '2999-01-01',
        units: 1,
      }),
      422,
      'refused/date-in-the-future',
    );
    expect(shipment.detail).toMatch(/^shippedOn/);
    expect(await eventCount()).toBe(before);
    // A planned date may lie ahead: effectiveOn and term dates are not facts that happened.
    expectRecorded(
      await api.post(paths.program('notices'), {
        ...extensionNotice,
        effectiveOn: '2999-01-01',
        terms: [{ kind: 'ends-on', effectiveOn: '2999-06-01' }],
      }),
    );
  });
});
