/**
 * Issue 14, input edges: what an adversarial caller sends before any rule is reached. Rate
 * limits count before the work they protect, validation answers stay small, text that is no
 * text and instants Temporal cannot hold are 400 naming the field, and a query parameter the
 * route does not know is 400 naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extensionNotice, PROGRAM_ID } from '../support/founding-case.ts';
import {
  expectProblem,
  expectRecorded,
  expectValidationProblem,
  paths,
  recordFoundingCase,
  startApi,
  type TestApi,
} from './support.ts';

const shipment = { shipmentId: 'edge-shipment', shippedOn: '2006-03-01', units: 3 };

/** A JSON body whose `field` holds `escaped`, written as a JSON escape (e.g. \udfff) on the wire. */
const rawBody = (body: object, field: string, escaped: string) =>
  `${JSON.stringify(body).slice(0, -1)},${JSON.stringify(field)}:"${escaped}"}`;
const json = { 'content-type': 'application/json' };

describe('rate limits count before the work they protect', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ env: { LEDGER_RATE_LIMIT: '2', LEDGER_ADDRESS_RATE_LIMIT: '4' } });
  });
  afterAll(() => api.close());

  it('401s and 404s count against the address: the 5th request from it is 429, another address still passes', async () => {
    const from = { remoteAddress: '203.0.113.7' };
    const answers = [];
    for (const url of ['/v1/programs', '/v1/programs', '/v1/no-such-route', '/v1/deadlines'])
      answers.push((await api.app.inject({ method: 'GET', url, ...from })).statusCode);
    expect(answers).toEqual([401, 401, 404, 401]);

    const limited = await api.app.inject({ method: 'GET', url: '/v1/programs', ...from });
    expect(limited.statusCode, limited.body).toBe(429);
    expect(limited.json().type).toBe('urn:compliance-ledger:problem:rate-limited');
    expect(limited.json().detail).toContain('4 requests per minute per address');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    const other = await api.app.inject({
      method: 'GET',
      url: '/v1/programs',
      remoteAddress: '203.0.113.8',
    });
    expect(other.statusCode).toBe(401);
  });

  it('a key is limited before its body is validated: the 3rd invalid body of one key is 429, not 400', async () => {
    const from = { remoteAddress: '198.51.100.1' };
    const send = (as: 'recorder' | 'auditor') =>
      api.app.inject({
        method: 'POST',
        url: paths.program('shipments'),
        headers: { authorization: `Bearer ${api.keys[as]}`, ...json },
        payload: JSON.stringify({ ...shipment, units: 'many' }),
        ...from,
      });
    expect((await send('recorder')).statusCode).toBe(400);
    expect((await send('recorder')).statusCode).toBe(400);
    const limited = await send('recorder');
    expect(limited.statusCode, limited.body).toBe(429);
    expect(limited.json().detail).toContain('2 requests per minute per API key');
    expect((await send('auditor')).statusCode).toBe(403);
  });
});

describe('validation answers are bounded', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ env: { LEDGER_BODY_LIMIT: String(2 * 1024 * 1024) } });
  });
  afterAll(() => api.close());

  it('a 1 MB body with 120k unknown fields: the first 20 named, all counted, a small answer', async () => {
    const body: Record<string, unknown> = { ...shipment };
    for (let i = 0; i < 120_000; i++) body[`_${i.toString(36)}`] = 1;
    const response = await api.post(paths.program('shipments'), body);
    const named = expectValidationProblem(response);
    expect(named).toHaveLength(20);
    expect(named[0]).toBe('body._0');
    expect(response.data.errorCount).toBe(120_000);
    expect(response.data.detail).toContain('and 119980 more');
    expect(response.body.length).toBeLessThan(4096);
  });

  it('an unknown field with a huge name is named by its first 64 characters', async () => {
    const name = 'x'.repeat(100_000);
    const response = await api.post(paths.program('shipments'), { ...shipment, [name]: 1 });
    expect(expectValidationProblem(response)).toEqual([`body.${'x'.repeat(64)}…`]);
    expect(response.body.length).toBeLessThan(4096);
  });

  it('an unknown field named by a lone surrogate is named back, as a JSON escape', async () => {
    const response = await api.post(
      paths.program('shipments'),
      `${JSON.stringify(shipment).slice(0, -1)},"\\udfff":1}`,
      { headers: json },
    );
    expect(expectValidationProblem(response)).toEqual(['body.\udfff']);
    expect(response.body).toContain('body.\\udfff');
  });
});

describe('text and instants are 400 naming the field', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi();
    await recordFoundingCase(api);
  });
  afterAll(() => api.close());

  it.each([
    ['customerRef', 'shipments', shipment],
    ['summary', 'notices', { ...extensionNotice, noticeId: 'edge-notice', summary: undefined }],
  ])(
    'a lone UTF-16 surrogate in %s -> 400 naming it, nothing written',
    async (field, command, body) => {
      const count = await api.eventCount();
      for (const escaped of ['\\udfff', 'ok \\ud800', '\\ude00\\ud83d']) {
        const response = await api.post(paths.program(command), rawBody(body, field, escaped), {
          headers: json,
        });
        expect(expectValidationProblem(response)).toEqual([`body.${field}`]);
      }
      expect(await api.eventCount()).toBe(count);
    },
  );

  it.each([
    ['zero-width', '\\u200b\\u200d\\u2060\\ufeff'],
    ['control', '\\u0000\\u0007\\u001b'],
    ['Hangul filler', '\\u3164'],
    ['soft hyphen', '\\u00ad'],
  ])('text made only of %s characters is not required text -> 400', async (_kind, escaped) => {
    const response = await api.post(
      paths.program('end'),
      rawBody({ endedOn: '2006-09-01' }, 'reason', escaped),
      { headers: json },
    );
    expect(expectValidationProblem(response)).toEqual(['body.reason']);
  });

  it('text with a visible character among zero-width ones, and an emoji pair, is recorded', async () => {
    expectRecorded(
      await api.post(paths.program('shipments'), { ...shipment, customerRef: '\u200bacme 😀' }),
    );
  });

  it('asKnownAt with more than 9 fractional digits -> 400 naming it; 9 digits answer', async () => {
    for (const url of [
      paths.status('asKnownAt=2026-12-01T18:28:00.1234567891Z'),
      `/v1/programs/${PROGRAM_ID}/timeline?asKnownAt=2026-12-01T18:28:00.1234567891Z`,
      `/v1/programs/${PROGRAM_ID}/audit-trail?asKnownAt=2026-12-01T18:28:00.1234567891%2B01:00`,
    ]) {
      const response = await api.get(url);
      expect(expectValidationProblem(response)).toEqual(['querystring.asKnownAt']);
      expect(response.data.detail).toContain('at most 9 fractional digits');
    }
    const response = await api.get(paths.status('asKnownAt=2026-12-01T18:28:00.123456789Z'));
    expect(response.statusCode, response.body).toBe(200);
  });
});

describe('unknown query parameters are 400 naming them', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi();
    await recordFoundingCase(api);
  });
  afterAll(() => api.close());

  it('/v1/deadlines?within=400 is refused, not answered with the default 90 days', async () => {
    const response = await api.get('/v1/deadlines?within=400');
    const problem = expectProblem(response, 400, 'validation');
    expect(problem.errors).toEqual([
      { path: 'querystring.within', message: 'is not a known query parameter' },
    ]);
    expect((await api.get('/v1/deadlines?withinDays=400')).statusCode).toBe(200);
  });

  it.each([
    `/v1/programs/${PROGRAM_ID}/status?at=2006-06-01&asKnownat=3`,
    '/v1/compliance/violations?programId=x',
    '/v1/me?verbose=1',
    '/v1/ledger/checkpoint?size=3',
    `/v1/programs/${PROGRAM_ID}/audit-report?format=json&lang=fr`,
  ])('%s -> 400 naming the unknown parameter', async (url) => {
    const unknown = new URL(url, 'http://x').searchParams;
    const last = [...unknown.keys()].at(-1);
    expect(expectValidationProblem(await api.get(url))).toEqual([`querystring.${last}`]);
  });
});
