import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extensionNotice, PROGRAM_ID, program } from '../support/founding-case.ts';
import {
  expectProblem,
  expectRecorded,
  expectValidationProblem,
  paths,
  recordFoundingCase,
  startApi,
  type TestApi,
} from './support.ts';

/** A second program under the same letter, so the deadlines list holds two. */
const SECOND = 'american-locker.1118e.second-channel';
const SHIPMENTS = 7;

let api: TestApi;

beforeAll(async () => {
  api = await startApi();
  await recordFoundingCase(api, { tdp: true });
  expectRecorded(await api.post(paths.programs, { ...program, programId: SECOND }));
  expectRecorded(await api.post(paths.program('notices', SECOND), extensionNotice));
  // Shipped after the authorization ended (2007-09-08): each one a violation, and backdated.
  for (let i = 1; i <= SHIPMENTS; i++)
    expectRecorded(
      await api.post(paths.program('shipments'), {
        shipmentId: `late-${i}`,
        shippedOn: `2008-01-${String(i).padStart(2, '0')}`,
        units: i,
      }),
    );
});
afterAll(() => api.close());

/** Follows `next` from the first page to the last, `limit` items at a time. */
async function walk(url: string, list: string, limit: number): Promise<unknown[][]> {
  const pages: unknown[][] = [];
  let cursor: string | null = null;
  const join = url.includes('?') ? '&' : '?';
  do {
    const query: string = `limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`;
    const response = await api.get(`${url}${join}${query}`, { as: 'auditor' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.data[list].length).toBeLessThanOrEqual(limit);
    pages.push(response.data[list]);
    cursor = response.data.next;
  } while (cursor !== null);
  return pages;
}

describe('every list answer is paged: limit and cursor in, the list and next out', () => {
  it.each([
    ['/v1/compliance/violations', 'violations', SHIPMENTS],
    ['/v1/compliance/backdating', 'facts', SHIPMENTS + 3],
    [`/v1/programs/${PROGRAM_ID}/audit-trail`, 'entries', SHIPMENTS + 4],
    ['/v1/deadlines?today=2007-06-01&withinDays=100', 'deadlines', 2],
  ])('%s: the pages, in order, are the whole list once', async (url, list, count) => {
    const whole = await api.get(`${url}${url.includes('?') ? '&' : '?'}limit=1000`, {
      as: 'auditor',
    });
    expect(whole.data[list]).toHaveLength(count);
    expect(whole.data.next).toBeNull();

    const pages = await walk(url, list, 2);
    expect(pages).toHaveLength(Math.ceil(count / 2));
    expect(pages.flat()).toEqual(whole.data[list]);
  });

  it('gives 100 items unless asked otherwise, at most 1000', async () => {
    const defaults = await api.get('/v1/compliance/violations', { as: 'auditor' });
    expect(defaults.data.violations).toHaveLength(SHIPMENTS);
    expect(defaults.data.next).toBeNull();
    expect(expectValidationProblem(await api.get('/v1/compliance/violations?limit=1001'))).toEqual([
      'querystring.limit',
    ]);
  });

  it('a page after a cursor starts after the item it names, even once the list grew', async () => {
    const first = await api.get('/v1/compliance/violations?limit=3', { as: 'auditor' });
    const positions = first.data.violations.map((v: { position: number }) => v.position);
    expectRecorded(
      await api.post(paths.program('shipments'), {
        shipmentId: 'later',
        shippedOn: '2008-02-01',
        units: 1,
      }),
    );
    const rest = await walk(
      `/v1/compliance/violations?cursor=${first.data.next}`,
      'violations',
      1000,
    );
    const after = rest.flat() as { position: number; shipmentId: string }[];
    expect(after[0]?.position).toBeGreaterThan(positions.at(-1));
    expect(after.at(-1)?.shipmentId).toBe('later');
    expect(after).toHaveLength(SHIPMENTS - 3 + 1);
  });

  it('refuses a cursor it did not give', async () => {
    const response = await api.get('/v1/compliance/violations?cursor=not-a-cursor');
    expectProblem(response, 400, 'invalid-cursor');
  });

  it('refuses a cursor another list gave (issue 28, item 8)', async () => {
    const violations = await api.get('/v1/compliance/violations?limit=1');
    const trail = await api.get(`/v1/programs/${PROGRAM_ID}/audit-trail?limit=1`);
    const ofViolations = violations.data.next;
    const ofTrail = trail.data.next;
    expect(ofViolations).toEqual(expect.any(String));
    expect(ofTrail).toEqual(expect.any(String));
    expectProblem(
      await api.get(`/v1/programs/${PROGRAM_ID}/audit-trail?cursor=${ofViolations}`),
      400,
      'invalid-cursor',
    );
    expectProblem(
      await api.get(`/v1/compliance/violations?cursor=${ofTrail}`),
      400,
      'invalid-cursor',
    );
    expectProblem(
      await api.get(`/v1/programs/${SECOND}/audit-trail?cursor=${ofTrail}`),
      400,
      'invalid-cursor',
    );
    expect((await api.get(`/v1/compliance/violations?cursor=${ofViolations}`)).statusCode).toBe(
      200,
    );
  });
});
