import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { addKey, revokeKey } from '../../src/api/credentials.ts';
import type { Problem } from '../../src/api/problems.ts';
import { Config } from '../../src/config.ts';
import {
  currentSpecification,
  extensionNotice,
  PROGRAM_ID,
  program,
  SUCCESSOR_SPEC,
  successorSpecification,
  tdpRelease,
} from '../support/founding-case.ts';

export type KeyName = 'recorder' | 'auditor' | 'admin' | 'revoked';

export interface TestFiles {
  dir: string;
  credentialsPath: string;
  keys: Record<KeyName, string>;
  /** A temp SQLite store URL in `dir`, for tests that restart the app on the same ledger. */
  sqliteUrl: string;
  remove(): void;
}

/** A temp directory with a credentials file: one key per role, plus one revoked recorder key. */
export function createTestFiles(): TestFiles {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-api-'));
  const credentialsPath = join(dir, 'credentials.json');
  const keys = {
    recorder: addKey(credentialsPath, 'recorder-client', 'recorder').key,
    auditor: addKey(credentialsPath, 'auditor-client', 'auditor').key,
    admin: addKey(credentialsPath, 'admin-client', 'admin').key,
    revoked: '',
  };
  const revoked = addKey(credentialsPath, 'former-client', 'recorder');
  revokeKey(credentialsPath, revoked.entry.id);
  keys.revoked = revoked.key;
  return {
    dir,
    credentialsPath,
    keys,
    sqliteUrl: `sqlite:${join(dir, 'ledger.sqlite')}`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CallOptions {
  /** Which key to send (default recorder); null sends no Authorization header. */
  as?: KeyName | null;
  /** A raw Authorization header value, instead of a key. */
  authorization?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestApi {
  app: FastifyInstance;
  files: TestFiles;
  keys: Record<KeyName, string>;
  call(
    method: 'GET' | 'POST' | 'PUT' | 'HEAD' | 'DELETE',
    url: string,
    options?: CallOptions,
  ): Promise<Response>;
  get(url: string, options?: CallOptions): Promise<Response>;
  post(url: string, body: unknown, options?: CallOptions): Promise<Response>;
  /** How many events the ledger holds, read through GET /v1/events (as `as`, default recorder). */
  eventCount(as?: KeyName): Promise<number>;
  /** Closes the app; removes the temp files too unless they were handed in. */
  close(): Promise<void>;
}

/** An inject response with its JSON body parsed once. */
export type Response = LightMyRequestResponse & {
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are checked by the assertions that read them
  data: any;
};

/** Every response any test received, so a suite can check none of them leaks internals. */
export const seenResponses: Response[] = [];

/** The LEDGER_METRICS_TOKEN every test app gets (/metrics needs it). */
export const METRICS_TOKEN = 'metrics-token-of-the-api-tests-0123456789';

/**
 * Builds the app as `main.ts` does, from a validated Config: a memory store unless `store`
 * says otherwise, the temp credentials, logs silenced. `env` overrides any setting.
 */
export async function startApi(
  options: {
    files?: TestFiles;
    store?: 'memory' | 'sqlite';
    env?: Record<string, string | undefined>;
    /** The alert clock (ms since the epoch), for tests of "today" and retries. */
    now?: () => number;
  } = {},
): Promise<TestApi> {
  const files = options.files ?? createTestFiles();
  const config = Config.parse({
    LEDGER_STORE: options.store === 'sqlite' ? files.sqliteUrl : 'memory:',
    LEDGER_CREDENTIALS: files.credentialsPath,
    LEDGER_CHECKPOINT_KEY: join(files.dir, 'checkpoint-key'),
    LOG_LEVEL: 'silent',
    LEDGER_METRICS_TOKEN: METRICS_TOKEN,
    ...options.env,
  });
  const app = await buildApp(config, options.now ? { now: options.now } : {});
  const call: TestApi['call'] = async (method, url, callOptions = {}) => {
    const { as = 'recorder', authorization, body, headers = {} } = callOptions;
    const auth =
      authorization !== undefined
        ? { authorization }
        : as === null
          ? {}
          : { authorization: `Bearer ${files.keys[as]}` };
    const request: InjectOptions = { method, url, headers: { ...auth, ...headers } };
    if (body !== undefined) request.payload = body as InjectOptions['payload'];
    const response = (await app.inject(request)) as Response;
    response.data = parseJson(response);
    seenResponses.push(response);
    return response;
  };
  const api: TestApi = {
    app,
    files,
    keys: files.keys,
    call,
    get: (url, o) => call('GET', url, o),
    post: (url, body, o) => call('POST', url, { ...o, body }),
    async eventCount(as: KeyName = 'recorder') {
      let count = 0;
      let from: number | null = 1;
      while (from !== null) {
        const page = await call('GET', `/v1/events?fromPosition=${from}&limit=1000`, { as });
        expect(page.statusCode).toBe(200);
        count += page.data.events.length;
        from = page.data.nextPosition;
      }
      return count;
    },
    async close() {
      await app.close();
      if (!options.files) files.remove();
    },
  };
  return api;
}

function parseJson(response: LightMyRequestResponse): unknown {
  const type = String(response.headers['content-type'] ?? '');
  if (!type.includes('json') || response.body === '') return undefined;
  return JSON.parse(response.body);
}

/** Signs a checkpoint of the ledger now, as an admin does (reading never signs one). */
export async function signCheckpoint(api: Pick<TestApi, 'post'>) {
  const response = await api.post('/v1/ledger/checkpoints', undefined, { as: 'admin' });
  expect(response.statusCode, response.body).toBe(200);
  return response.data;
}

export const PROBLEM_PREFIX = 'urn:compliance-ledger:problem:';

/** Asserts an RFC 9457 problem with the given status and `type` (the part after the prefix). */
export function expectProblem(response: Response, status: number, type?: string): Problem {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.data;
  expect(problem).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  expect(problem.type).toMatch(new RegExp(`^${PROBLEM_PREFIX}`));
  if (type !== undefined) expect(problem.type).toBe(`${PROBLEM_PREFIX}${type}`);
  expectNoStackTrace(response);
  return problem;
}

/** Asserts a 400 validation problem and returns the paths its `errors` name. */
export function expectValidationProblem(response: Response): string[] {
  const problem = expectProblem(response, 400, 'validation');
  expect(problem.errors).toEqual(expect.any(Array));
  const errors = problem.errors ?? [];
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors)
    expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
  // The detail repeats each error, so a client that only shows `detail` still names the fields.
  for (const e of errors) expect(problem.detail).toContain(e.path);
  return errors.map((e) => e.path);
}

/** A stack trace, an internal file path or an error class name leaking into a response. */
export function expectNoStackTrace(response: Response): void {
  expect(response.body).not.toMatch(/"stack"|\n\s+at\s|\bat [\w.<>]+ \(|\.ts:\d+|node:internal/);
}

/** Asserts a 201 command answer in full and returns it. */
export function expectRecorded(response: Response): {
  eventId: string;
  stream: string;
  revision: number;
  position: number;
} {
  expect(response.statusCode, response.body).toBe(201);
  const body = response.data;
  expect(body).toMatchObject({
    eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    stream: expect.any(String),
    revision: expect.any(Number),
    position: expect.any(Number),
    alreadyRecorded: false,
  });
  expect(response.headers.etag).toBe(`"${body.revision}"`);
  return body;
}

export const paths = {
  specifications: '/v1/specifications',
  tdpReleases: (spec = SUCCESSOR_SPEC) => `/v1/specifications/${spec}/tdp-releases`,
  programs: '/v1/programs',
  program: (command: string, id = PROGRAM_ID) => `/v1/programs/${id}/${command}`,
  retractions: (eventId: string) => `/v1/events/${eventId}/retractions`,
  status: (query: string, id = PROGRAM_ID) => `/v1/programs/${id}/status?${query}`,
};

/** Waits until the wall clock has moved past `instant`, so the next record time is later. */
export async function clockPast(instant: string): Promise<void> {
  const limit = Date.parse(instant);
  while (Date.now() <= limit) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** The TDP release of the founding case as the route takes it (the id is in the URL). */
export const tdpReleaseBody = {
  releasedOn: tdpRelease.releasedOn,
  publicRelease: tdpRelease.publicRelease,
  documentRef: tdpRelease.documentRef,
};

/** Registers the founding case's two specifications, which programs and notices name. */
export async function registerSpecifications(
  api: TestApi,
  options?: Parameters<TestApi['post']>[2],
) {
  expectRecorded(await api.post(paths.specifications, currentSpecification, options));
  return expectRecorded(await api.post(paths.specifications, successorSpecification, options));
}

/** Records the founding case: both specs, program, the 2005 notice, and with `tdp` the TDP release. */
export async function recordFoundingCase(api: TestApi, options: { tdp?: boolean } = {}) {
  const spec = await registerSpecifications(api);
  const registered = expectRecorded(await api.post(paths.programs, program));
  const notice = expectRecorded(await api.post(paths.program('notices'), extensionNotice));
  const tdp = options.tdp
    ? expectRecorded(await api.post(paths.tdpReleases(), tdpReleaseBody))
    : null;
  return { spec, registered, notice, tdp };
}

/** GET /metrics with the metrics token. */
export async function metricsText(api: TestApi): Promise<string> {
  const response = await api.get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  return response.body;
}

/** The value of a Prometheus metric at /metrics; `name` may carry its labels, `a{b="c"}`. */
export async function metricValue(api: TestApi, name: string): Promise<number> {
  const line = (await metricsText(api)).split('\n').find((l) => l.startsWith(`${name} `));
  expect(line, `${name} in /metrics`).toBeDefined();
  return Number(line?.slice(name.length + 1));
}

/**
 * The (method, url) pairs fastify registered, read back from its route tree (fastify has no
 * route list; `printRoutes` draws the radix tree, one segment per line, indented by depth).
 */
export function registeredRoutes(app: FastifyInstance): { method: string; url: string }[] {
  const found: { method: string; url: string }[] = [];
  const prefixes: string[] = [];
  // The compressed tree: with commonPrefix false fastify draws a wildcard route without its prefix.
  for (const line of app.printRoutes().split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] as string).length / 4;
    prefixes.length = depth;
    const url = (prefixes[depth - 1] ?? '') + (match[2] as string);
    prefixes[depth] = url;
    for (const method of match[3]?.split(', ') ?? []) found.push({ method, url });
  }
  return found;
}

/** The signing passphrase test signers get (docs/design.md "Signatures"). */
export const SIGNING_PASSPHRASE = 'correct horse battery staple';

/** The id part of an API key `lk_<id>_<secret>`. */
export const keyIdOf = (key: string) => /^lk_([0-9a-f]{8})_/.exec(key)?.[1] as string;

/** Registers Jane Doe as the holder of the admin key, with SIGNING_PASSPHRASE; returns her id. */
export async function registerSigner(api: TestApi): Promise<string> {
  const added = await api.post(
    '/v1/people',
    { name: 'Jane Doe', email: 'jane.doe@example.com', keyIds: [keyIdOf(api.keys.admin)] },
    { as: 'admin' },
  );
  expect(added.statusCode, added.body).toBe(201);
  const set = await api.call('PUT', `/v1/people/${added.data.id}/passphrase`, {
    as: 'admin',
    body: { passphrase: SIGNING_PASSPHRASE },
  });
  expect(set.statusCode, set.body).toBe(200);
  expect(set.body).not.toContain(SIGNING_PASSPHRASE);
  return added.data.id;
}

/** Jane Doe signs `eventIds` with `meaning` through POST /v1/signatures; returns the answer. */
export async function sign(api: TestApi, eventIds: string[], meaning: string, comment?: string) {
  return expectRecorded(
    await api.post(
      '/v1/signatures',
      { eventIds, meaning, passphrase: SIGNING_PASSPHRASE, ...(comment ? { comment } : {}) },
      { as: 'admin' },
    ),
  );
}
