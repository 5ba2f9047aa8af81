import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes, startApi, type TestApi } from './support.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Operation = {
  responses?: Record<string, Json>;
  parameters?: { name: string; in: string }[];
  operationId?: string;
  summary?: string;
  security?: Json[];
};

let api: TestApi;
let spec: {
  openapi: string;
  info: { version: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
};

beforeAll(async () => {
  api = await startApi();
  const response = await api.get('/openapi.json', { as: null });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  spec = response.data;
});
afterAll(() => api?.close());

/** `/v1/programs/:id/status` as OpenAPI writes it: `/v1/programs/{id}/status`. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '/{path}');

/** Every (method, url) fastify serves under /v1, HEAD aside. */
const v1Routes = () =>
  registeredRoutes(api.app).filter((r) => r.method !== 'HEAD' && r.url.startsWith('/v1'));

/** Every value in a JSON document with the path that leads to it. */
function* walk(value: Json, path = '#'): Generator<[string, Json]> {
  yield [path, value];
  if (value !== null && typeof value === 'object')
    for (const [key, child] of Object.entries(value)) yield* walk(child, `${path}/${key}`);
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(spec));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(spec.openapi).toMatch(/^3\.1\./);
  });

  it('documents every /v1 route fastify serves, with its method', () => {
    const routes = v1Routes();
    expect(routes.length).toBe(43);
    for (const { method, url } of routes) {
      const operation = spec.paths[openApiPath(url)]?.[method.toLowerCase()];
      expect(operation, `${method} ${url}`).toBeDefined();
    }
    const documented = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/v1'))
      .flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m} ${path}`));
    expect(documented).toHaveLength(routes.length);
  });

  it('documents the errors each /v1 operation can answer, as Problem', () => {
    for (const { method, url } of v1Routes()) {
      const operation = spec.paths[openApiPath(url)]?.[method.toLowerCase()] as Operation;
      const codes = Object.keys(operation.responses ?? {});
      // GET /v1/me takes no input and admits every role: only the key or the rate can fail.
      const expected =
        url === '/v1/me'
          ? ['200']
          : url.startsWith('/v1/subscriptions')
            ? // Admin only; a subscription or delivery named in the path may not exist.
              ({
                POST: url.endsWith('/retry')
                  ? ['202', '404', '400', '403']
                  : ['201', '413', '415', '422', '400', '403'],
                GET: ['200', '404', '400', '403'],
                DELETE: ['204', '404', '400', '403'],
              }[method] ?? [])
            : url === '/v1/signatures' || url.startsWith('/v1/people')
              ? // Signatures and people: a body (400, 413, 415), a refusal of the person (403, 409).
                method === 'GET'
                ? ['200', '403']
                : [
                    url === '/v1/people' || url === '/v1/signatures' ? '201' : '200',
                    '400',
                    '403',
                    '409',
                    '413',
                    '415',
                  ]
              : url === '/v1/ledger/checkpoints' && method === 'POST'
                ? // An admin's signing takes no body: it signs, or gives the latest, or finds no history.
                  ['200', '409', '403']
                : url.endsWith('/checks')
                  ? // A check answers; with `record` it keeps evidence under an Idempotency-Key.
                    ['200', '422', '413', '415', '400', '403']
                  : method === 'POST'
                    ? ['201', '200', '409', '412', '413', '415', '422', '400', '403']
                    : ['200', '404', '400', '403'];
      for (const code of [...expected, '401', '429'])
        expect(codes, `${method} ${url}`).toContain(code);
      expect(JSON.stringify(operation.responses?.['401'])).toContain(
        '#/components/schemas/Problem',
      );
    }
  });

  it('declares every problem response once, as application/problem+json, the same on every route', () => {
    const byStatus = new Map<string, Set<string>>();
    for (const { method, url } of v1Routes()) {
      const operation = spec.paths[openApiPath(url)]?.[method.toLowerCase()] as Operation;
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) < 400) continue;
        const entry = response as { description: string; content: Record<string, Json> };
        expect(Object.keys(entry.content), `${method} ${url} ${status}`).toEqual([
          'application/problem+json',
        ]);
        byStatus.set(status, (byStatus.get(status) ?? new Set()).add(entry.description));
      }
    }
    for (const [status, descriptions] of byStatus)
      expect([...descriptions], status).toHaveLength(1);
  });

  it('names every operation by one rule (method, then the path words), each name once', () => {
    const ids: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths))
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.operationId, `${method} ${path}`).toMatch(
          /^(get|post|put|patch|delete)[A-Z]\w*$/,
        );
        ids.push(operation.operationId as string);
      }
    expect(new Set(ids).size).toBe(ids.length);
    expect(spec.paths['/v1/programs/{id}/status']?.get?.operationId).toBe('getProgramsStatus');
    expect(spec.paths['/v1/events/{eventId}']?.get?.operationId).toBe('getEventsByEventId');
  });

  it('states the server, the package version, and open health routes with summaries', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(spec.info.version).toBe(version);
    expect(spec.servers).toEqual([expect.objectContaining({ url: '/' })]);
    for (const path of ['/healthz', '/readyz']) {
      const operation = spec.paths[path]?.get as Operation;
      expect(operation.summary, path).toMatch(/\w/);
      expect(operation.security, path).toEqual([]);
    }
  });

  it('describes every response in words, and declares the 503 of a store that cannot answer on every keyed operation', () => {
    for (const [path, operations] of Object.entries(spec.paths))
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses ?? {}))
          expect(
            (response as { description: string }).description,
            `${method} ${path} ${status}`,
          ).not.toMatch(/^Default Response$/);
        if (operation.security?.length)
          expect(JSON.stringify(operation.responses?.['503']), `${method} ${path}`).toContain(
            '#/components/schemas/Problem',
          );
      }
  });

  it('gives examples from the founding case, not numbers and dates a generator makes up', () => {
    const schemas = spec.components.schemas as Record<
      string,
      { properties: Record<string, { examples?: unknown[] }> }
    >;
    const status = schemas.ProgramStatus?.properties;
    expect(status?.programId?.examples).toEqual(['american-locker.1118e.private-market']);
    expect(status?.at?.examples).toEqual(['2007-09-08']);
    expect(schemas.Problem?.properties.status?.examples).toEqual([422]);
  });

  it('keeps no component schema nothing refers to', () => {
    const text = JSON.stringify({ ...spec, components: undefined });
    const schemas = spec.components.schemas;
    const referenced = new Set<string>();
    const visit = (json: string) => {
      for (const [, name] of json.matchAll(/"#\/components\/schemas\/([^"]+)"/g))
        if (name !== undefined && !referenced.has(name)) {
          referenced.add(name);
          visit(JSON.stringify(schemas[name]));
        }
    };
    visit(text);
    expect(Object.keys(schemas).filter((name) => !referenced.has(name))).toEqual([]);
  });

  it('names every path parameter and resolves every $ref', () => {
    for (const [path, operations] of Object.entries(spec.paths))
      for (const name of path.match(/\{(\w+)\}/g) ?? [])
        for (const operation of Object.values(operations))
          expect(
            operation.parameters?.some((p) => p.in === 'path' && `{${p.name}}` === name),
            `${path} ${name}`,
          ).toBe(true);
    for (const [at, value] of walk(spec as unknown as Json)) {
      if (!at.endsWith('/$ref')) continue;
      const target = String(value).replace('#/components/schemas/', '');
      expect(spec.components.schemas[target], `${at} -> ${value}`).toBeDefined();
    }
  });

  it('holds no empty anyOf/oneOf/allOf (a schema no value could satisfy)', () => {
    const empty = [...walk(spec as unknown as Json)]
      .filter(([at, value]) => /\/(anyOf|oneOf|allOf)$/.test(at) && Array.isArray(value))
      .filter(([, value]) => (value as Json[]).length === 0)
      .map(([at]) => at);
    expect(empty).toEqual([]);
  });
});

describe('GET /docs', () => {
  it('serves the Swagger UI', async () => {
    const response = await api.get('/docs', { as: null });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('swagger-ui');
  });
});
