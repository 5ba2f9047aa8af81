/**
 * Authentication and authorization of every route a real server publishes in its OpenAPI
 * document: missing, malformed, unknown and revoked keys get 401 with a challenge, an auditor on
 * a command route gets 403, and none of them learns anything else (no 2xx, no 400/404 before
 * the credentials are checked, no 5xx).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { revokeKey } from '../../src/api/credentials.ts';
import {
  createLedgerFiles,
  type HttpResponse,
  type LedgerFiles,
  problemDefects,
  programRegistration,
  type RequestOptions,
  readWholeLedger,
  registerPrograms,
  removeAllFiles,
  type ServerProcess,
  shipment,
  startServer,
  stopAllServers,
} from './support.ts';

/** Every /v1 route of docs/design.md §6 (and the backdating report); the OpenAPI document must list them. */
const V1_ROUTES = [
  'POST /v1/specifications',
  'POST /v1/specifications/{id}/tdp-releases',
  'POST /v1/programs',
  'POST /v1/programs/{id}/notices',
  'POST /v1/programs/{id}/license-applications',
  'POST /v1/programs/{id}/license-decisions',
  'POST /v1/programs/{id}/shipments',
  'POST /v1/programs/{id}/end',
  'POST /v1/events/{eventId}/retractions',
  'GET /v1/programs',
  'GET /v1/programs/{id}/status',
  'GET /v1/programs/{id}/audit-trail',
  'GET /v1/programs/{id}/timeline',
  'GET /v1/deadlines',
  'GET /v1/compliance/violations',
  'GET /v1/compliance/backdating',
  'GET /v1/events',
  'GET /v1/events/{eventId}',
  'GET /v1/me',
  'GET /v1/ledger/verify',
  'GET /v1/ledger/checkpoint',
  'GET /v1/ledger/checkpoints',
  'POST /v1/ledger/checkpoints',
  'GET /v1/ledger/checkpoint/public-key',
  'GET /v1/ledger/proofs/inclusion',
  'GET /v1/ledger/proofs/consistency',
];
/** Routes outside /v1 that are public by design (liveness, readiness). */
const PUBLIC_ROUTES = new Set(['GET /healthz', 'GET /readyz']);

const PROGRAM = 'auth-program';
const SPEC = 'auth-spec';

/** A valid body per command route: were authentication skipped, it would be recorded. */
const validBodies: Record<string, unknown> = {
  'POST /v1/specifications': { specificationId: 'auth-spec-new', regulator: 'USPS', title: 'T' },
  'POST /v1/specifications/{id}/tdp-releases': {
    releasedOn: '2024-01-01',
    publicRelease: true,
    documentRef: 'tdp',
  },
  'POST /v1/programs': programRegistration('auth-program-new'),
  'POST /v1/programs/{id}/notices': {
    noticeId: 'auth-notice',
    issuer: 'USPS',
    receivedOn: '2024-01-01',
    documentRef: 'notice.pdf',
    summary: 'authorizes',
    terms: [{ kind: 'authorizes', from: '2024-01-01' }],
  },
  'POST /v1/programs/{id}/license-applications': {
    applicationId: 'auth-application',
    submittedOn: '2024-01-01',
    documentRef: 'application.pdf',
  },
  'POST /v1/programs/{id}/license-decisions': {
    applicationId: 'auth-existing-application',
    decidedOn: '2024-02-01',
    decision: 'approved',
    reasons: [],
    resubmissionAllowed: false,
  },
  'POST /v1/programs/{id}/shipments': shipment('auth-shipment'),
  'POST /v1/programs/{id}/end': { endedOn: '2024-06-01', reason: 'done' },
  'POST /v1/events/{eventId}/retractions': { reason: 'mistake' },
};

interface Route {
  method: string;
  template: string;
  label: string;
}

describe('every route refuses requests without a valid key of an allowed role', () => {
  let files: LedgerFiles;
  let server: ServerProcess;
  const routes: Route[] = [];
  let existingEventId = '';
  let ledgerSize = 0;
  /** What the query routes that need parameters get to answer 200: an event, a signed size. */
  const requiredQuery: Record<string, string> = {};
  const counts: Record<string, Record<number, number>> = {};

  beforeAll(async () => {
    files = createLedgerFiles({
      recorder: 'recorder',
      auditor: 'auditor',
      admin: 'admin',
      'soon-revoked': 'recorder',
    });
    server = await startServer(files);
    const key = files.keys.recorder?.key ?? '';
    await registerPrograms(server, key, [PROGRAM]);
    const spec = await server.post(
      '/v1/specifications',
      { specificationId: SPEC, regulator: 'USPS', title: 'Auth spec' },
      { key },
    );
    expect(spec.status).toBe(201);
    const application = await server.post(
      `/v1/programs/${PROGRAM}/license-applications`,
      { applicationId: 'auth-existing-application', submittedOn: '2024-01-01', documentRef: 'a' },
      { key },
    );
    expect(application.status).toBe(201);
    existingEventId = application.json.eventId;

    const openapi = await server.get('/openapi.json');
    expect(openapi.status).toBe(200);
    for (const [path, operations] of Object.entries(openapi.json.paths as Record<string, object>))
      for (const method of Object.keys(operations))
        if (['get', 'post', 'put', 'patch', 'delete'].includes(method))
          routes.push({
            method: method.toUpperCase(),
            template: path,
            label: `${method.toUpperCase()} ${path}`,
          });
    ledgerSize = (await readWholeLedger(server, key)).length;
    // Reading never signs: an admin has the grown ledger signed.
    const admin = { key: files.keys.admin?.key ?? '' };
    expect((await server.post('/v1/ledger/checkpoints', {}, admin)).status).toBe(200);
    const signed = await server.get('/v1/ledger/checkpoint', { key });
    expect(signed.status).toBe(200);
    requiredQuery['GET /v1/ledger/proofs/inclusion'] = `?eventId=${existingEventId}`;
    requiredQuery['GET /v1/ledger/proofs/consistency'] = `?from=${signed.json.treeSize}`;
  });

  afterAll(async () => {
    console.log(
      `auth answers by credential (status: count):\n${Object.entries(counts)
        .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
        .join('\n')}`,
    );
    await stopAllServers();
    removeAllFiles();
  });

  const protectedRoutes = () => routes.filter((r) => r.template.startsWith('/v1/'));
  // A check is a question any reader may ask (its body and `record` in test/api/roles.test.ts).
  const isCheck = (r: Route) => r.template.endsWith('/checks');
  /** Signing is open to any role whose key belongs to a registered person (test/api/signatures.test.ts). */
  const isSigner = (r: Route) =>
    r.template === '/v1/signatures' || r.template === '/v1/people/me/passphrase';
  /** Routes an auditor may not use: the commands, and the admin's subscriptions and people. */
  const isCommand = (r: Route) =>
    !isSigner(r) &&
    ((r.method !== 'GET' && !isCheck(r)) ||
      r.template.startsWith('/v1/subscriptions') ||
      r.template.startsWith('/v1/people'));

  /** Concrete URLs for a route: existing and unknown ids, and a garbage query string. */
  function urls(route: Route): string[] {
    const ids = route.template.includes('/specifications/{id}')
      ? [SPEC, 'no-such-spec']
      : [PROGRAM, 'no-such-program'];
    let variants = [route.template];
    if (route.template.includes('{id}'))
      variants = ids.map((id) => route.template.replace('{id}', id));
    if (route.template.includes('{eventId}'))
      variants = [existingEventId, '00000000-0000-4000-8000-000000000000', 'not-a-uuid'].map((id) =>
        route.template.replace('{eventId}', id),
      );
    if (!isCommand(route))
      variants = variants.flatMap((u) => [
        u,
        `${u}?at=garbage&asKnownAt=-1&limit=x&fromPosition=0&withinDays=-5`,
      ]);
    return variants;
  }

  /** Bodies for a command route: valid, empty object, malformed JSON. */
  function bodies(route: Route): Pick<RequestOptions, 'json' | 'raw' | 'headers'>[] {
    if (!isCommand(route)) return [{}];
    return [
      { json: validBodies[route.label] ?? {} },
      { json: {} },
      { raw: '{"broken": ', headers: { 'content-type': 'application/json' } },
    ];
  }

  async function sweep(
    name: string,
    routesToTry: Route[],
    auth: () => Pick<RequestOptions, 'key' | 'authorization'>,
    expected: number,
  ): Promise<string[]> {
    const requests: (() => Promise<[string, HttpResponse]>)[] = [];
    for (const route of routesToTry)
      for (const url of urls(route))
        for (const body of bodies(route))
          requests.push(async () => {
            const options = { ...body, ...auth() };
            const response = await server.request(route.method, url, options);
            return [`${route.method} ${url}`, response];
          });
    // A few at a time: the point is coverage, not load.
    const results: [string, HttpResponse][] = [];
    for (let i = 0; i < requests.length; i += 8)
      results.push(...(await Promise.all(requests.slice(i, i + 8).map((run) => run()))));
    const tally: Record<number, number> = {};
    const defects: string[] = [];
    for (const [what, response] of results) {
      tally[response.status] = (tally[response.status] ?? 0) + 1;
      const wrong = problemDefects(response, expected);
      if (expected === 401) {
        if (!/^Bearer\b/.test(String(response.headers['www-authenticate'] ?? '')))
          wrong.push('no www-authenticate challenge');
        if (response.json?.type !== 'urn:compliance-ledger:problem:unauthenticated')
          wrong.push(`type ${response.json?.type}`);
      } else if (response.json?.type !== 'urn:compliance-ledger:problem:forbidden')
        wrong.push(`type ${response.json?.type}`);
      if (wrong.length > 0) defects.push(`${what}: ${wrong.join(', ')}`);
    }
    counts[`${name} (${results.length} requests)`] = tally;
    expect(results.length).toBeGreaterThan(0);
    return defects;
  }

  it('the OpenAPI document lists every /v1 route, and only known public routes besides', () => {
    expect(routes.length).toBeGreaterThan(0);
    const labels = routes.map((r) => r.label);
    expect(labels).toEqual(expect.arrayContaining(V1_ROUTES));
    expect(labels.filter((l) => !l.includes(' /v1/') && !PUBLIC_ROUTES.has(l))).toEqual([]);
  });

  it('the public routes answer without a key', async () => {
    for (const route of routes.filter((r) => PUBLIC_ROUTES.has(r.label)))
      expect((await server.request(route.method, route.template)).status).toBe(200);
  });

  const badCredentials: [string, () => Pick<RequestOptions, 'key' | 'authorization'>][] = [
    ['no Authorization header', () => ({})],
    ['"Bearer" alone', () => ({ authorization: 'Bearer' })],
    ['"Bearer " and nothing', () => ({ authorization: 'Bearer ' })],
    ['"Basic xyz"', () => ({ authorization: 'Basic xyz' })],
    ['"Bearer lk_bad"', () => ({ authorization: 'Bearer lk_bad' })],
    [
      'a key of the right shape that does not exist',
      () => ({
        key: `lk_${randomBytes(4).toString('hex')}_${randomBytes(32).toString('base64url')}`,
      }),
    ],
    [
      'a real key id with another secret',
      () => ({
        key: `lk_${files.keys.recorder?.id}_${randomBytes(32).toString('base64url')}`,
      }),
    ],
  ];

  for (const [name, auth] of badCredentials)
    it(`${name}: 401 with a challenge on every /v1 route`, async () => {
      expect(await sweep(name, protectedRoutes(), auth, 401)).toEqual([]);
    });

  it('a key revoked in the credentials file while the server runs: 401 on every /v1 route', async () => {
    const soon = files.keys['soon-revoked'];
    if (!soon) throw new Error('no key to revoke');
    // It works before it is revoked...
    expect((await server.get('/v1/events', { key: soon.key })).status).toBe(200);
    revokeKey(files.credentialsPath, soon.id);
    // ... and once the server's watch has seen the file change, it is refused everywhere,
    // without a restart.
    await vi.waitFor(
      async () => expect((await server.get('/v1/events', { key: soon.key })).status).toBe(401),
      { timeout: 10_000, interval: 20 },
    );
    const defects = await sweep('revoked key', protectedRoutes(), () => ({ key: soon.key }), 401);
    expect(defects).toEqual([]);
  });

  it('an auditor key: 403 on every command route, and it does work on the query routes', async () => {
    const auditor = files.keys.auditor?.key ?? '';
    const commands = protectedRoutes().filter(isCommand);
    expect(commands.length).toBeGreaterThanOrEqual(9);
    expect(await sweep('auditor on commands', commands, () => ({ key: auditor }), 403)).toEqual([]);
    for (const route of protectedRoutes().filter(
      (r) => !isCommand(r) && !isCheck(r) && !isSigner(r),
    )) {
      const url =
        route.template
          .replace('{id}', PROGRAM)
          .replace('{eventId}', existingEventId)
          .replace('{path}', '0/000.p/1') + (requiredQuery[route.label] ?? '');
      const response = await server.request(route.method, url, { key: auditor });
      expect(response.status, `${route.label}: ${response.text}`).toBe(200);
    }
  });

  it('HEAD on every GET /v1 route without a key: 401 as well', async () => {
    const defects: string[] = [];
    for (const route of protectedRoutes().filter((r) => r.method === 'GET'))
      for (const url of urls(route)) {
        const response = await server.request('HEAD', url);
        if (response.status !== 401) defects.push(`HEAD ${url}: ${response.status}`);
        if (!response.headers['www-authenticate']) defects.push(`HEAD ${url}: no challenge`);
      }
    expect(defects).toEqual([]);
  });

  it('none of it wrote anything', async () => {
    const events = await readWholeLedger(server, files.keys.recorder?.key ?? '');
    expect(events).toHaveLength(ledgerSize);
  });
});
