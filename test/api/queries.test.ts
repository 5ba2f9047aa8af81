import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROGRAM_ID, SUCCESSOR_SPEC } from '../support/founding-case.ts';
import {
  clockPast,
  expectNoStackTrace,
  expectProblem,
  expectRecorded,
  expectValidationProblem,
  metricsText,
  metricValue,
  paths,
  recordFoundingCase,
  seenResponses,
  startApi,
  type TestApi,
  tdpReleaseBody,
} from './support.ts';

const ACME = 'acme.1118f.regulator-purchased';

/** The same instant written with a +02:00 offset instead of Z. */
const withOffset = (instant: string) =>
  new Date(Date.parse(instant) + 2 * 3_600_000).toISOString().replace('Z', '+02:00');

let api: TestApi;
/** Positions and ids of what the ledger holds (8 events). */
const ledger = {
  notice: { position: 0, eventId: '' },
  tdp: { position: 0, eventId: '' },
  lateShipment: { eventId: '' },
  /** An instant after the notice was recorded and before the TDP release was. */
  beforeTdp: '',
};

beforeAll(async () => {
  api = await startApi();
  const { notice } = await recordFoundingCase(api);
  ledger.notice = notice;
  ledger.beforeTdp = new Date().toISOString();
  await clockPast(ledger.beforeTdp);
  ledger.tdp = expectRecorded(await api.post(paths.tdpReleases(), tdpReleaseBody));
  expectRecorded(
    await api.post(paths.program('shipments'), {
      shipmentId: 'ship-2006-03-01',
      shippedOn: '2006-03-01',
      units: 10,
    }),
  );
  ledger.lateShipment = expectRecorded(
    await api.post(paths.program('shipments'), {
      shipmentId: 'ship-2007-09-10',
      shippedOn: '2007-09-10',
      units: 40,
    }),
  );
  expectRecorded(
    await api.post(paths.programs, {
      programId: ACME,
      supplierId: 'acme',
      specificationId: SUCCESSOR_SPEC,
      channel: 'regulator-purchased',
      regulator: 'USPS',
    }),
  );
  expectRecorded(
    await api.post(paths.program('license-applications', ACME), {
      applicationId: 'acme-2007-01',
      submittedOn: '2007-06-15',
      documentRef: 'acme-application.pdf',
    }),
  );
});
afterAll(() => api?.close());

const ok = async (url: string) => {
  const response = await api.get(url);
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return response.data;
};
const ids = (programs: { programId: string }[]) => programs.map((p) => p.programId);

describe('GET /v1/programs', () => {
  it('lists every program with its status on `at`, sorted by id', async () => {
    const { programs } = await ok('/v1/programs?at=2007-07-01');
    expect(ids(programs)).toEqual([ACME, PROGRAM_ID]);
    expect(programs[0]).toMatchObject({
      supplierId: 'acme',
      channel: 'regulator-purchased',
      // Its specification's title, for lists to show beside the id.
      specificationTitle: 'USPS-B-1118F Cluster Box Unit',
      status: { at: '2007-07-01', status: 'application-pending' },
    });
    expect(programs[1]).toMatchObject({
      supplierId: 'american-locker',
      specificationId: 'usps-b-1118e',
      specificationTitle: 'USPS-B-1118E Cluster Box Unit',
      status: { at: '2007-07-01', status: 'authorized', until: '2007-09-08' },
    });
    // Valid time: the application was submitted on 2007-06-15.
    const { programs: earlier } = await ok('/v1/programs?at=2007-06-01');
    expect(earlier[0].status.status).toBe('not-authorized');
  });

  it.each([
    ['supplierId=acme', [ACME]],
    ['supplierId=ACME', [ACME]],
    ['specificationId=usps-b-1118e', [PROGRAM_ID]],
    [`specificationId=${SUCCESSOR_SPEC}`, [ACME]],
    ['status=authorized&at=2007-06-01', [PROGRAM_ID]],
    ['status=expired&at=2007-10-01', [PROGRAM_ID]],
    ['status=not-authorized&at=2005-01-01', [ACME, PROGRAM_ID]],
    ['status=application-pending&at=2007-07-01', [ACME]],
    ['status=revoked', []],
    ['supplierId=acme&status=authorized&at=2007-06-01', []],
  ])('filters: %s', async (query, expected) => {
    const { programs } = await ok(`/v1/programs?${query}`);
    expect(ids(programs)).toEqual(expected);
  });
});

describe('GET /v1/programs/:id/status', () => {
  it('as known before the TDP release: authorized on 2006-06-01, open-ended, one pending condition', async () => {
    const status = await ok(paths.status(`at=2006-06-01&asKnownAt=${ledger.notice.position}`));
    expect(status).toMatchObject({
      programId: PROGRAM_ID,
      at: '2006-06-01',
      status: 'authorized',
      authorizedFrom: '2005-12-08',
      until: null,
    });
    expect(status.pendingConditions).toEqual([
      expect.objectContaining({
        kind: 'sunset-after-trigger',
        specificationId: SUCCESSOR_SPEC,
        offset: { months: 4 },
        description: expect.stringContaining('not yet released'),
      }),
    ]);
    expect(status.explanation).toEqual(expect.any(String));
  });

  it('as known now: authorized until 2007-09-08, with the TDP release in its basis', async () => {
    const status = await ok(paths.status('at=2007-06-01'));
    expect(status).toMatchObject({
      status: 'authorized',
      until: '2007-09-08',
      pendingConditions: [],
    });
    expect(status.basis).toContainEqual(
      expect.objectContaining({
        eventId: ledger.tdp.eventId,
        position: ledger.tdp.position,
        type: 'TechnicalDataPackageReleased',
      }),
    );
  });

  it('on the first day no longer authorized: expired', async () => {
    expect(await ok(paths.status('at=2007-09-08'))).toMatchObject({
      status: 'expired',
      rule: 'expired-by-sunset-after-trigger',
    });
    expect(await ok(paths.status('at=2007-09-07'))).toMatchObject({ status: 'authorized' });
  });

  it('asKnownAt a position before the TDP release: still open-ended and pending', async () => {
    const status = await ok(paths.status(`at=2007-06-01&asKnownAt=${ledger.tdp.position - 1}`));
    expect(status).toMatchObject({ status: 'authorized', until: null });
    expect(status.pendingConditions).toHaveLength(1);
    expect(status.basis.map((b: { eventId: string }) => b.eventId)).not.toContain(
      ledger.tdp.eventId,
    );
    const atRelease = await ok(paths.status(`at=2007-06-01&asKnownAt=${ledger.tdp.position}`));
    expect(atRelease).toMatchObject({ until: '2007-09-08' });
  });

  it('asKnownAt an instant before the TDP release, in Z or with an offset', async () => {
    for (const instant of [ledger.beforeTdp, withOffset(ledger.beforeTdp)]) {
      const query = `at=2007-06-01&asKnownAt=${encodeURIComponent(instant)}`;
      const status = await ok(paths.status(query));
      expect(status, instant).toMatchObject({ status: 'authorized', until: null });
      expect(status.pendingConditions).toHaveLength(1);
    }
    const now = encodeURIComponent(new Date().toISOString());
    expect(await ok(paths.status(`at=2007-06-01&asKnownAt=${now}`))).toMatchObject({
      until: '2007-09-08',
    });
  });

  it('`at` defaults to today', async () => {
    const before = new Date().toISOString().slice(0, 10);
    const status = await ok(`/v1/programs/${PROGRAM_ID}/status`);
    const after = new Date().toISOString().slice(0, 10);
    expect([before, after]).toContain(status.at);
  });

  it('ids are case-insensitive', async () => {
    const status = await ok(paths.status('at=2006-06-01', PROGRAM_ID.toUpperCase()));
    expect(status.programId).toBe(PROGRAM_ID);
  });
});

describe('GET /v1/programs/:id/audit-trail', () => {
  it('every event that affects the program, in record order, hash-chained per stream', async () => {
    const { programId, entries } = await ok(`/v1/programs/${PROGRAM_ID}/audit-trail`);
    expect(programId).toBe(PROGRAM_ID);
    expect(entries.map((e: { type: string }) => e.type)).toEqual([
      'SpecificationRegistered',
      'ProgramRegistered',
      'NoticeReceived',
      'TechnicalDataPackageReleased',
      'ShipmentRecorded',
      'ShipmentRecorded',
    ]);
    const positions = entries.map((e: { position: number }) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const [, registered, notice, tdp] = entries;
    expect(notice).toMatchObject({
      eventId: ledger.notice.eventId,
      validDate: '2005-12-08',
      documentRef: 'press-release-2005-12-08.txt',
      recordedBy: 'recorder-client',
      prevHash: registered.hash,
      retractedBy: null,
    });
    expect(tdp).toMatchObject({
      stream: `specification-${SUCCESSOR_SPEC}`,
      validDate: '2007-05-08',
    });
    for (const e of entries) expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('asKnownAt a position or an instant drops what was recorded later', async () => {
    const byPosition = await ok(
      `/v1/programs/${PROGRAM_ID}/audit-trail?asKnownAt=${ledger.notice.position}`,
    );
    expect(byPosition.entries.at(-1).eventId).toBe(ledger.notice.eventId);
    const byInstant = await ok(
      `/v1/programs/${PROGRAM_ID}/audit-trail?asKnownAt=${encodeURIComponent(ledger.beforeTdp)}`,
    );
    expect(byInstant.entries).toEqual(byPosition.entries);
  });
});

describe('GET /v1/programs/:id/timeline', () => {
  it('status intervals over valid time, half-open', async () => {
    const { intervals } = await ok(`/v1/programs/${PROGRAM_ID}/timeline`);
    expect(
      intervals.map(({ from, until, status }: Record<string, unknown>) => ({
        from,
        until,
        status,
      })),
    ).toEqual([
      { from: null, until: '2005-12-08', status: 'not-authorized' },
      { from: '2005-12-08', until: '2007-09-08', status: 'authorized' },
      { from: '2007-09-08', until: null, status: 'expired' },
    ]);
    for (const i of intervals) expect(i.basis.length).toBeGreaterThan(0);
  });

  it('as known before the TDP release, the authorization is open-ended', async () => {
    const { intervals } = await ok(
      `/v1/programs/${PROGRAM_ID}/timeline?asKnownAt=${ledger.notice.position}`,
    );
    expect(intervals.at(-1)).toMatchObject({
      from: '2005-12-08',
      until: null,
      status: 'authorized',
    });
  });
});

describe('GET /v1/deadlines', () => {
  it('programs whose authorization ends within N days of today', async () => {
    expect(await ok('/v1/deadlines?today=2007-06-01&withinDays=100')).toEqual({
      today: '2007-06-01',
      withinDays: 100,
      deadlines: [
        expect.objectContaining({ programId: PROGRAM_ID, until: '2007-09-08', daysLeft: 99 }),
      ],
      next: null,
    });
    const defaults = await ok('/v1/deadlines?today=2007-06-01');
    expect(defaults).toMatchObject({ withinDays: 90, deadlines: [] });
    expect((await ok('/v1/deadlines?today=2007-09-08&withinDays=100')).deadlines).toEqual([]);
  });
});

describe('GET /v1/compliance/violations and /backdating', () => {
  it('lists the shipment after the sunset, as known now and when recorded, not the one before', async () => {
    const { violations } = await ok('/v1/compliance/violations');
    expect(violations).toEqual([
      expect.objectContaining({
        programId: PROGRAM_ID,
        shipmentId: 'ship-2007-09-10',
        eventId: ledger.lateShipment.eventId,
        shippedOn: '2007-09-10',
        units: 40,
        asKnownNow: {
          status: 'expired',
          rule: 'expired-by-sunset-after-trigger',
          compliant: false,
          breach: {
            kind: 'outside-authorization',
            status: 'expired',
            rule: 'expired-by-sunset-after-trigger',
          },
          explanation: expect.stringMatching(/^Blocked: expired on 2007-09-08/),
          limits: [],
        },
        asKnownWhenRecorded: expect.objectContaining({ status: 'expired', compliant: false }),
      }),
    ]);
  });

  it('facts recorded more than thresholdDays after their valid date, most delayed first', async () => {
    const { thresholdDays, facts } = await ok('/v1/compliance/backdating');
    expect(thresholdDays).toBe(30);
    expect(facts.map((f: { eventId: string }) => f.eventId)).toContain(ledger.notice.eventId);
    expect(facts[0]).toMatchObject({ type: 'NoticeReceived', validDate: '2005-12-08' });
    const lags = facts.map((f: { lagDays: number }) => f.lagDays);
    expect(lags).toEqual([...lags].sort((a, b) => b - a));
    for (const lag of lags) expect(lag).toBeGreaterThan(30);
    expect((await ok('/v1/compliance/backdating?thresholdDays=36500')).facts).toEqual([]);
  });
});

describe('GET /v1/events', () => {
  it('pages through the raw ledger in global order with nextPosition', async () => {
    const seen: number[] = [];
    const pages: number[] = [];
    let next: number | null = 1;
    while (next !== null) {
      const page: { events: { position: number }[]; nextPosition: number | null } = await ok(
        `/v1/events?fromPosition=${next}&limit=4`,
      );
      pages.push(page.events.length);
      seen.push(...page.events.map((e) => e.position));
      if (page.nextPosition !== null)
        expect(page.nextPosition).toBe((page.events.at(-1)?.position ?? 0) + 1);
      next = page.nextPosition;
    }
    expect(pages).toEqual([4, 4, 1]);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await ok('/v1/events?fromPosition=10')).toEqual({ events: [], nextPosition: null });
  });

  it('carries the full envelope', async () => {
    const { events } = await ok(`/v1/events?fromPosition=${ledger.tdp.position}&limit=1`);
    expect(events[0]).toMatchObject({
      eventId: ledger.tdp.eventId,
      stream: `specification-${SUCCESSOR_SPEC}`,
      revision: 1,
      type: 'TechnicalDataPackageReleased',
      data: { specificationId: SUCCESSOR_SPEC, releasedOn: '2007-05-08', publicRelease: true },
      metadata: {
        recordedBy: 'recorder-client',
        schemaVersion: 1,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
  });
});

describe('operations', () => {
  it('GET /v1/ledger/verify: every chain checks out', async () => {
    expect(await ok('/v1/ledger/verify')).toEqual({ ok: true, events: 9, streams: 4 });
  });

  it('GET /healthz and /readyz answer without a key', async () => {
    const health = await api.get('/healthz', { as: null });
    expect(health.statusCode).toBe(200);
    expect(health.data).toEqual({ status: 'ok' });
    const ready = await api.get('/readyz', { as: null });
    expect(ready.statusCode).toBe(200);
    expect(ready.data).toMatchObject({ ready: true, headPosition: 9, projectedPosition: 9 });
  });

  it('GET /metrics: appended events and projection lag', async () => {
    const metrics = await metricsText(api);
    expect(metrics).toContain('# TYPE ledger_appended_events_total counter');
    expect(metrics).toContain('# TYPE ledger_projection_lag_events gauge');
    expect(metrics).toContain('ledger_http_request_duration_seconds_bucket');
    expect(await metricValue(api, 'ledger_appended_events_total')).toBe(9);
    expect(await metricValue(api, 'ledger_projection_lag_events')).toBe(0);
  });
});

describe('bad queries', () => {
  const P = `/v1/programs/${PROGRAM_ID}`;
  it.each([
    [`${P}/status?at=2007-02-30`, ['querystring.at']],
    [`${P}/status?asKnownAt=yesterday`, ['querystring.asKnownAt']],
    [`${P}/status?asKnownAt=2007-05-10T00:00:00`, ['querystring.asKnownAt']],
    [`${P}/status?at=2007-6-1&asKnownAt=-3`, ['querystring.at', 'querystring.asKnownAt']],
    [`${P}/audit-trail?asKnownAt=1.5`, ['querystring.asKnownAt']],
    [`${P}/timeline?asKnownAt=later`, ['querystring.asKnownAt']],
    [
      '/v1/programs?at=2007-13-01&status=bogus&supplierId=!!',
      ['querystring.at', 'querystring.status', 'querystring.supplierId'],
    ],
    ['/v1/deadlines?withinDays=-1', ['querystring.withinDays']],
    [
      '/v1/deadlines?withinDays=soon&today=2007-02-29',
      ['querystring.withinDays', 'querystring.today'],
    ],
    ['/v1/compliance/backdating?thresholdDays=-1', ['querystring.thresholdDays']],
    ['/v1/events?fromPosition=0&limit=1001', ['querystring.fromPosition', 'querystring.limit']],
    ['/v1/programs/not%20a%20slug/status', ['params.id']],
  ])('%s -> 400 naming %j', async (url, fields) => {
    const named = expectValidationProblem(await api.get(url));
    for (const field of fields) expect(named).toContain(field);
    expect(named).toHaveLength(fields.length);
  });

  it.each(['status?at=2007-06-01', 'audit-trail', 'timeline'])(
    'an unknown program: /v1/programs/no-such-program/%s -> 404',
    async (rest) => {
      const problem = expectProblem(
        await api.get(`/v1/programs/no-such-program/${rest}`),
        404,
        'not-found',
      );
      expect(problem.detail).toContain('no-such-program');
    },
  );

  it('an unknown route -> 404 problem', async () => {
    expectProblem(await api.get('/v1/nothing-here'), 404, 'not-found');
  });
});

describe('a failing store', () => {
  it('-> 500 problem with a generic detail, nothing internal', async () => {
    const broken = await startApi();
    try {
      await broken.app.ledger.store.close();
      const response = await broken.get('/v1/events');
      const problem = expectProblem(response, 500, 'internal');
      expect(problem.detail).toBe('the server failed to answer; the error is logged');
      expect(Object.keys(problem).sort()).toEqual([
        'detail',
        'instance',
        'status',
        'title',
        'type',
      ]);
    } finally {
      await broken.close();
    }
  });
});

describe('every answer above', () => {
  it('is free of stack traces and internal paths', () => {
    expect(seenResponses.length).toBeGreaterThan(50);
    for (const response of seenResponses) expectNoStackTrace(response);
  });
});

describe('asKnownAt on deadlines, violations and backdating (issue 21 item 9)', () => {
  it('answers as the ledger knew it then, by position or instant', async () => {
    const beforeTdp = await ok(
      `/v1/deadlines?today=2007-06-01&withinDays=100&asKnownAt=${ledger.tdp.position - 1}`,
    );
    expect(beforeTdp.deadlines).toEqual([]);
    const byInstant = await ok(
      `/v1/deadlines?today=2007-06-01&withinDays=100&asKnownAt=${encodeURIComponent(ledger.beforeTdp)}`,
    );
    expect(byInstant.deadlines).toEqual([]);

    // Before the late shipment was recorded the list was empty; once recorded it lists it.
    expect(
      (await ok(`/v1/compliance/violations?asKnownAt=${ledger.tdp.position}`)).violations,
    ).toEqual([]);
    const then = await ok(`/v1/compliance/violations?asKnownAt=${ledger.tdp.position + 2}`);
    expect(then.violations.map((v: { eventId: string }) => v.eventId)).toEqual([
      ledger.lateShipment.eventId,
    ]);

    const early = await ok(
      `/v1/compliance/backdating?asKnownAt=${ledger.notice.position - 1}&thresholdDays=30`,
    );
    expect(early.facts.map((f: { eventId: string }) => f.eventId)).not.toContain(
      ledger.notice.eventId,
    );
    expectProblem(await api.get('/v1/compliance/violations?asKnownAt=yesterday'), 400);
  });
});
