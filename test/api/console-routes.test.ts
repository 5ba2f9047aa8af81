import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROGRAM_ID, program } from '../support/founding-case.ts';
import {
  expectProblem,
  expectRecorded,
  paths,
  recordFoundingCase,
  startApi,
  type TestApi,
} from './support.ts';

/** What the console needs of the API beyond DESIGN §6: who am I, one event, a paged program list. */
let api: TestApi;
let noticeEventId = '';
const PROGRAMS = 12;

beforeAll(async () => {
  api = await startApi();
  noticeEventId = (await recordFoundingCase(api)).notice.eventId;
  for (let i = 1; i < PROGRAMS; i += 1)
    expectRecorded(
      await api.post(paths.programs, {
        ...program,
        programId: `paged-${String(i).padStart(2, '0')}`,
      }),
    );
});
afterAll(() => api?.close());

describe('GET /v1/me', () => {
  it.each(['recorder', 'auditor', 'admin'] as const)(
    'names the %s key and its role',
    async (as) => {
      const response = await api.get('/v1/me', { as });
      expect(response.statusCode).toBe(200);
      expect(response.data).toEqual({ name: `${as}-client`, role: as });
    },
  );

  it('refuses a revoked key', async () => {
    expectProblem(await api.get('/v1/me', { as: 'revoked' }), 401, 'unauthenticated');
  });
});

describe('GET /v1/events/:eventId', () => {
  it('answers the event with its content and envelope', async () => {
    const response = await api.get(`/v1/events/${noticeEventId}`, { as: 'auditor' });
    expect(response.statusCode).toBe(200);
    expect(response.data).toMatchObject({
      eventId: noticeEventId,
      stream: `program-${PROGRAM_ID}`,
      type: 'NoticeReceived',
      data: { noticeId: 'usps-2005-12-08' },
      metadata: { recordedBy: 'recorder-client' },
    });
  });

  it('404 for an event the ledger does not hold, 400 for what is no event id', async () => {
    expectProblem(
      await api.get('/v1/events/00000000-0000-4000-8000-000000000000', { as: 'auditor' }),
      404,
      'not-found',
    );
    expectProblem(await api.get('/v1/events/not-an-id', { as: 'auditor' }), 400, 'validation');
  });
});

describe('GET /v1/programs, paged and searched', () => {
  const ids = async (query: string) => {
    const response = await api.get(`/v1/programs?at=2007-06-01${query}`, { as: 'auditor' });
    expect(response.statusCode, response.body).toBe(200);
    return {
      total: response.data.total as number,
      ids: (response.data.programs as { programId: string }[]).map((p) => p.programId),
    };
  };

  it('without paging answers every program, as before', async () => {
    const all = await ids('');
    expect(all.total).toBe(PROGRAMS);
    expect(all.ids).toHaveLength(PROGRAMS);
  });

  it('pages of any size, laid end to end, are the whole list in order', async () => {
    const all = (await ids('')).ids;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: PROGRAMS + 2 }), async (limit) => {
        const pages: string[] = [];
        for (let offset = 0; offset < PROGRAMS; offset += limit) {
          const page = await ids(`&offset=${offset}&limit=${limit}`);
          expect(page.total).toBe(PROGRAMS);
          expect(page.ids.length).toBeLessThanOrEqual(limit);
          pages.push(...page.ids);
        }
        expect(pages).toEqual(all);
      }),
      { numRuns: 15 },
    );
  });

  it('searches by a part of the id, case-insensitively, and counts what matched', async () => {
    const found = await ids('&idContains=PAGED-0&limit=3');
    expect(found.total).toBe(9);
    expect(found.ids).toEqual(['paged-01', 'paged-02', 'paged-03']);
    expect((await ids('&idContains=1118e')).ids).toEqual([PROGRAM_ID]);
    expect((await ids('&idContains=nothing-like-it')).total).toBe(0);
  });

  it('pages what the status filter kept, and counts it', async () => {
    // Only the founding program has a notice; the others are registered, not authorized.
    expect(await ids('&status=authorized&limit=5')).toEqual({ total: 1, ids: [PROGRAM_ID] });
    const unauthorized = await ids('&status=not-authorized&offset=9&limit=5');
    expect(unauthorized).toEqual({ total: PROGRAMS - 1, ids: ['paged-10', 'paged-11'] });
  });

  it('refuses a limit outside 1-1000 and a negative offset', async () => {
    for (const query of ['limit=0', 'limit=1001', 'offset=-1'])
      expectProblem(await api.get(`/v1/programs?${query}`, { as: 'auditor' }), 400, 'validation');
  });
});

describe('the console files', () => {
  it('/console redirects to /console/, which serves the page under a strict CSP', async () => {
    const redirect = await api.get('/console', { as: null });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('/console/');
    const page = await api.get('/console/', { as: null });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    expect((await api.get(script as string, { as: null })).statusCode).toBe(200);
  });
});
