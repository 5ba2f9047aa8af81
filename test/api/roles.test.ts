import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  extensionNotice,
  PROGRAM_ID,
  program,
  SUCCESSOR_SPEC,
  successorSpecification,
} from '../support/founding-case.ts';
import {
  expectProblem,
  type KeyName,
  recordFoundingCase,
  registeredRoutes,
  signCheckpoint,
  startApi,
  type TestApi,
  tdpReleaseBody,
} from './support.ts';

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As registered with fastify. */
  url: string;
  /**
   * command: recorder and admin; query and check: every reader; admin: admin only; signer: any
   * role whose key belongs to a registered person (the person is checked after the role).
   */
  kind: 'command' | 'query' | 'check' | 'admin' | 'signer';
  /** A concrete request for it (ids of what the seeded ledger holds). */
  path: () => string;
  body?: () => unknown;
}

/** Alert subscriptions: admin only; an unknown subscription is 404 for the admin. */
function subscriptionRoutes(): Route[] {
  const unknown = '/v1/subscriptions/00000000-0000-4000-8000-000000000000';
  const admin = (method: Route['method'], url: string, path: string, body?: unknown): Route => ({
    method,
    url,
    kind: 'admin',
    path: () => path,
    ...(body === undefined ? {} : { body: () => body }),
  });
  return [
    admin('POST', '/v1/subscriptions', '/v1/subscriptions', {
      url: 'https://receiver.example/hook',
      types: ['ledger.status.changed'],
    }),
    admin('GET', '/v1/subscriptions', '/v1/subscriptions'),
    admin('DELETE', '/v1/subscriptions/:id', unknown),
    admin('GET', '/v1/subscriptions/:id/deliveries', `${unknown}/deliveries`),
    admin(
      'POST',
      '/v1/subscriptions/:id/deliveries/:deliveryId/retry',
      `${unknown}/deliveries/msg_x/retry`,
    ),
  ];
}

let api: TestApi;
let noticeEventId = '';
/** The tree size of a checkpoint signed before the tests. */
let signedSize = 0;

const P = `/v1/programs/${PROGRAM_ID}`;
const command = (url: string, path: () => string, body: () => unknown): Route => ({
  method: 'POST',
  url,
  kind: 'command',
  path,
  body,
});
const query = (url: string, path: string): Route => ({
  method: 'GET',
  url,
  kind: 'query',
  path: () => path,
});

/** Every /v1 route; the first test proves fastify has no other. */
const ROUTES: Route[] = [
  command(
    '/v1/specifications',
    () => '/v1/specifications',
    () => successorSpecification,
  ),
  command(
    '/v1/specifications/:id/tdp-releases',
    () => `/v1/specifications/${SUCCESSOR_SPEC}/tdp-releases`,
    () => tdpReleaseBody,
  ),
  command(
    '/v1/programs',
    () => '/v1/programs',
    () => program,
  ),
  command(
    '/v1/programs/:id/notices',
    () => `${P}/notices`,
    () => extensionNotice,
  ),
  command(
    '/v1/programs/:id/license-applications',
    () => `${P}/license-applications`,
    () => ({ applicationId: 'app-1', submittedOn: '2007-06-01', documentRef: 'application' }),
  ),
  command(
    '/v1/programs/:id/license-decisions',
    () => `${P}/license-decisions`,
    () => ({
      applicationId: 'app-1',
      decidedOn: '2007-07-01',
      decision: 'rejected',
      reasons: ['incomplete'],
      resubmissionAllowed: true,
    }),
  ),
  command(
    '/v1/programs/:id/shipments',
    () => `${P}/shipments`,
    () => ({ shipmentId: 'ship-1', shippedOn: '2007-06-01', units: 5 }),
  ),
  command(
    '/v1/programs/:id/end',
    () => `${P}/end`,
    () => ({ endedOn: '2008-01-01', reason: 'x' }),
  ),
  command(
    '/v1/events/:eventId/retractions',
    () => `/v1/events/${noticeEventId}/retractions`,
    () => ({ reason: 'misfiled' }),
  ),
  query('/v1/programs', '/v1/programs?at=2007-06-01'),
  query('/v1/programs/:id/status', `${P}/status?at=2007-06-01&asKnownAt=2`),
  query('/v1/programs/:id/audit-trail', `${P}/audit-trail`),
  query('/v1/programs/:id/timeline', `${P}/timeline`),
  query('/v1/programs/:id/status/receipt', `${P}/status/receipt?at=2007-06-01`),
  query('/v1/programs/:id/timeline/receipt', `${P}/timeline/receipt`),
  query('/v1/programs/:id/audit-report', `${P}/audit-report`),
  query('/v1/deadlines', '/v1/deadlines?withinDays=30'),
  query('/v1/compliance/violations', '/v1/compliance/violations'),
  query('/v1/compliance/backdating', '/v1/compliance/backdating'),
  query('/v1/events', '/v1/events?limit=2'),
  { ...query('/v1/events/:eventId', ''), path: () => `/v1/events/${noticeEventId}` },
  query('/v1/me', '/v1/me'),
  query('/v1/ledger/verify', '/v1/ledger/verify'),
  query('/v1/ledger/checkpoint', '/v1/ledger/checkpoint'),
  query('/v1/ledger/checkpoints', '/v1/ledger/checkpoints'),
  query('/v1/ledger/tlog/checkpoint', '/v1/ledger/tlog/checkpoint'),
  query('/v1/ledger/tlog/tile/*', '/v1/ledger/tlog/tile/0/000.p/1'),
  {
    method: 'POST',
    url: '/v1/ledger/checkpoints',
    kind: 'admin',
    path: () => '/v1/ledger/checkpoints',
  },
  {
    method: 'POST',
    url: '/v1/programs/:id/checks',
    kind: 'check',
    path: () => `${P}/checks`,
    body: () => ({ shippedOn: '2007-06-01', units: 1 }),
  },
  {
    method: 'POST',
    url: '/v1/checks',
    kind: 'check',
    path: () => '/v1/checks',
    body: () => ({ lines: [{ programId: PROGRAM_ID, shippedOn: '2007-06-01', units: 1 }] }),
  },
  query('/v1/ledger/checkpoint/public-key', '/v1/ledger/checkpoint/public-key'),
  ...subscriptionRoutes(),
  { method: 'GET', url: '/v1/people', kind: 'admin', path: () => '/v1/people' },
  {
    method: 'POST',
    url: '/v1/people',
    kind: 'admin',
    path: () => '/v1/people',
    body: () => ({ name: 'Jane Doe', email: 'jane@example.com', keyIds: ['0000000a'] }),
  },
  {
    method: 'PUT',
    url: '/v1/people/:id/passphrase',
    kind: 'admin',
    path: () => '/v1/people/nobody/passphrase',
    body: () => ({ passphrase: 'a long enough passphrase' }),
  },
  {
    method: 'POST',
    url: '/v1/people/me/passphrase',
    kind: 'signer',
    path: () => '/v1/people/me/passphrase',
    body: () => ({ current: 'a long enough passphrase', passphrase: 'another long passphrase' }),
  },
  {
    method: 'POST',
    url: '/v1/signatures',
    kind: 'signer',
    path: () => '/v1/signatures',
    body: () => ({ eventIds: [noticeEventId], meaning: 'review', passphrase: 'not registered' }),
  },
  {
    ...query('/v1/ledger/proofs/inclusion', ''),
    path: () => `/v1/ledger/proofs/inclusion?eventId=${noticeEventId}`,
  },
  {
    ...query('/v1/ledger/proofs/consistency', ''),
    path: () => `/v1/ledger/proofs/consistency?from=${signedSize}`,
  },
];
const COMMANDS = ROUTES.filter((r) => r.kind === 'command');
const QUERIES = ROUTES.filter((r) => r.kind === 'query');
const ADMIN_ONLY = ROUTES.filter((r) => r.kind === 'admin');
const name = (r: Route) => `${r.method} ${r.url}`;

beforeAll(async () => {
  api = await startApi();
  const { notice } = await recordFoundingCase(api);
  noticeEventId = notice.eventId;
  signedSize = (await signCheckpoint(api)).treeSize;
});
afterAll(() => api?.close());

const send = (route: Route, options: { as?: KeyName | null; authorization?: string }) =>
  api.call(route.method, route.path(), {
    ...options,
    ...(route.body ? { body: route.body() } : {}),
  });

describe('the route table', () => {
  it('covers every /v1 route fastify registered, and nothing else', () => {
    const registered = registeredRoutes(api.app);
    // The parse found the public routes too, so it reads the tree right.
    expect(registered).toContainEqual({ method: 'GET', url: '/healthz' });
    expect(registered).toContainEqual({ method: 'GET', url: '/docs/static/index.html' });
    const v1 = registered.filter((r) => r.url.startsWith('/v1'));
    expect(
      v1
        .filter((r) => r.method !== 'HEAD')
        .map((r) => `${r.method} ${r.url}`)
        .sort(),
    ).toEqual(ROUTES.map(name).sort());
    // HEAD is fastify's automatic twin of each GET; the 401 test below covers it too.
    for (const head of v1.filter((r) => r.method === 'HEAD'))
      expect(ROUTES.map(name)).toContain(`GET ${head.url}`);
    for (const route of ROUTES)
      expect(api.app.hasRoute({ method: route.method, url: route.url }), name(route)).toBe(true);
  });
});

describe('authentication: 401 problem with www-authenticate', () => {
  const credentials: [string, () => { as?: KeyName | null; authorization?: string }][] = [
    ['no Authorization header', () => ({ as: null })],
    ['a malformed key', () => ({ authorization: 'Bearer not-a-key' })],
    ['another scheme', () => ({ authorization: `Basic ${btoa('recorder:secret')}` })],
    ['an unknown key id', () => ({ authorization: `Bearer lk_00000000_${'A'.repeat(43)}` })],
    [
      'a wrong secret for a real key id',
      () => ({ authorization: `Bearer ${api.keys.recorder.slice(0, 12)}${'B'.repeat(43)}` }),
    ],
    ['a revoked key', () => ({ as: 'revoked' })],
  ];
  const cases = ROUTES.flatMap((route) =>
    credentials.map(([what, auth]) => ({ label: `${name(route)} with ${what}`, route, auth })),
  );

  it.each(cases)('$label', async ({ route, auth }) => {
    const before = await api.app.ledger.store.headPosition();
    const response = await send(route, auth());
    expectProblem(response, 401, 'unauthenticated');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="compliance-ledger"');
    expect(await api.app.ledger.store.headPosition()).toBe(before);
  });

  it.each(QUERIES)('HEAD $url without a key', async (route) => {
    const response = await api.call('HEAD', route.path(), { as: null });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="compliance-ledger"');
  });
});

describe('authorization', () => {
  it.each(COMMANDS.map((route) => ({ label: name(route), route })))(
    'auditor may not $label -> 403 problem, nothing written',
    async ({ route }) => {
      const before = await api.app.ledger.store.headPosition();
      const problem = expectProblem(await send(route, { as: 'auditor' }), 403, 'forbidden');
      expect(problem.detail).toContain('role auditor');
      expect(await api.app.ledger.store.headPosition()).toBe(before);
    },
  );

  it.each(
    ADMIN_ONLY.flatMap((route) =>
      (['auditor', 'recorder'] as const).map((as) => ({
        label: `${as}: ${name(route)}`,
        route,
        as,
      })),
    ),
  )('$label -> 403 problem: admin only', async ({ route, as }) => {
    expectProblem(await send(route, { as }), 403, 'forbidden');
  });

  const allowed = [
    ...ADMIN_ONLY.map((route) => ({ label: `admin: ${name(route)}`, route, as: 'admin' as const })),
    ...ROUTES.filter((r) => r.kind === 'command' || r.kind === 'query').flatMap((route) =>
      (['recorder', 'admin'] as const).map((as) => ({ label: `${as}: ${name(route)}`, route, as })),
    ),
    ...[...QUERIES, ...ROUTES.filter((r) => r.kind === 'check')].map((route) => ({
      label: `auditor: ${name(route)}`,
      route,
      as: 'auditor' as const,
    })),
  ];
  it.each(allowed)('$label is let through', async ({ route, as }) => {
    const response = await send(route, { as });
    expect(response.statusCode, response.body).not.toBe(401);
    expect(response.statusCode, response.body).not.toBe(403);
    expect(response.statusCode, response.body).toBeLessThan(500);
  });

  it('queries answer every reader the same', async () => {
    // GET /v1/me answers who asks, so it differs by key by design (test/api/session.test.ts).
    for (const route of QUERIES.filter((r) => r.url !== '/v1/me')) {
      const bodies = await Promise.all(
        (['auditor', 'recorder', 'admin'] as const).map(async (as) => {
          const response = await send(route, { as });
          expect(response.statusCode, `${as} ${name(route)}`).toBe(200);
          return response.data;
        }),
      );
      expect(bodies[1], name(route)).toEqual(bodies[0]);
      expect(bodies[2], name(route)).toEqual(bodies[0]);
    }
  });

  it.each(['/healthz', '/readyz', '/openapi.json', '/docs'])('%s is public', async (url) => {
    expect((await api.get(url, { as: null })).statusCode).toBe(200);
  });
});
