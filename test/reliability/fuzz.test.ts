/**
 * Fuzzing every route of a real server with a valid recorder key: generated invalid bodies
 * (each a valid body broken by construction: wrong types, text with no visible character or a
 * lone surrogate, ...), random headers and garbage query strings (bad values, instants finer
 * than nanoseconds, parameters no route declares). Every command answer must be a 4xx
 * problem+json without internals, queries never 5xx, nothing may be written, and the server
 * must stay up.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DecideLicenseApplication,
  EndProgram,
  PlannedShipment,
  RecordNotice,
  RecordShipment,
  RegisterProgram,
  RegisterSpecification,
  ReleaseTechnicalDataPackage,
  RetractionReason,
  SubmitLicenseApplication,
} from '../../src/domain/index.ts';
import {
  createLedgerFiles,
  type HttpResponse,
  type LedgerEvent,
  type LedgerFiles,
  leaksInternals,
  problemDefects,
  programRegistration,
  readWholeLedger,
  registerPrograms,
  removeAllFiles,
  type ServerProcess,
  shipment,
  startServer,
  stopAllServers,
} from './support.ts';

const BODY_LIMIT = 64 * 1024;
const PROGRAM = 'fuzz-program';
const SPEC = 'fuzz-spec';
/** Never registered: a command that slipped through validation finds nothing to write to. */
const GHOST_PROGRAM = 'fuzz-ghost-program';
const GHOST_SPEC = 'fuzz-ghost-spec';
const GHOST_EVENT = '00000000-0000-4000-8000-00000000f000';
const COMMAND_CASES_PER_ROUTE = 34;
const QUERY_CASES_PER_ROUTE = 22;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

type Kind = 'slug' | 'text' | 'date' | 'int' | 'bool' | 'enum' | 'array' | 'revision';
type Param = 'program' | 'spec' | 'event' | null;

interface CommandRoute {
  /** The body schema the route validates with (mirrors src/api/routes/commands.ts). */
  schema: z.ZodType;
  valid: Record<string, unknown>;
  fields: Record<string, Kind>;
  required: string[];
  param: Param;
}

const revision = { expectedRevision: z.int().min(-1).optional() };
const COMMANDS: Record<string, CommandRoute> = {
  'POST /v1/specifications': {
    schema: RegisterSpecification,
    valid: { specificationId: 'fuzz-new-spec', regulator: 'USPS', title: 'A title' },
    fields: { specificationId: 'slug', regulator: 'text', title: 'text', supersedes: 'slug' },
    required: ['specificationId', 'regulator', 'title'],
    param: null,
  },
  'POST /v1/specifications/{id}/tdp-releases': {
    schema: ReleaseTechnicalDataPackage.extend(revision),
    valid: { releasedOn: '2024-01-01', publicRelease: true, documentRef: 'tdp' },
    fields: {
      releasedOn: 'date',
      publicRelease: 'bool',
      documentRef: 'text',
      expectedRevision: 'revision',
    },
    required: ['releasedOn', 'publicRelease', 'documentRef'],
    param: 'spec',
  },
  'POST /v1/programs': {
    schema: RegisterProgram,
    valid: programRegistration('fuzz-new-program'),
    fields: {
      programId: 'slug',
      supplierId: 'slug',
      specificationId: 'slug',
      channel: 'enum',
      regulator: 'text',
      description: 'text',
    },
    required: ['programId', 'supplierId', 'specificationId', 'channel', 'regulator'],
    param: null,
  },
  'POST /v1/programs/{id}/notices': {
    schema: RecordNotice.extend(revision),
    valid: {
      noticeId: 'fuzz-notice',
      issuer: 'USPS',
      receivedOn: '2024-01-01',
      documentRef: 'notice.pdf',
      summary: 'Authorizes supply',
      terms: [{ kind: 'authorizes', from: '2024-01-01' }],
    },
    fields: {
      noticeId: 'slug',
      issuer: 'text',
      receivedOn: 'date',
      documentRef: 'text',
      summary: 'text',
      supersedes: 'array',
      terms: 'array',
      expectedRevision: 'revision',
    },
    required: ['noticeId', 'issuer', 'receivedOn', 'documentRef', 'summary', 'terms'],
    param: 'program',
  },
  'POST /v1/programs/{id}/license-applications': {
    schema: SubmitLicenseApplication.extend(revision),
    valid: { applicationId: 'fuzz-application', submittedOn: '2024-01-01', documentRef: 'a.pdf' },
    fields: {
      applicationId: 'slug',
      submittedOn: 'date',
      documentRef: 'text',
      expectedRevision: 'revision',
    },
    required: ['applicationId', 'submittedOn', 'documentRef'],
    param: 'program',
  },
  'POST /v1/programs/{id}/license-decisions': {
    schema: DecideLicenseApplication.extend(revision),
    valid: {
      applicationId: 'fuzz-existing-application',
      decidedOn: '2024-02-01',
      decision: 'approved',
      reasons: ['meets the specification'],
      resubmissionAllowed: false,
    },
    fields: {
      applicationId: 'slug',
      decidedOn: 'date',
      decision: 'enum',
      reasons: 'array',
      resubmissionAllowed: 'bool',
      expectedRevision: 'revision',
    },
    required: ['applicationId', 'decidedOn', 'decision', 'reasons', 'resubmissionAllowed'],
    param: 'program',
  },
  'POST /v1/programs/{id}/shipments': {
    schema: RecordShipment.extend(revision),
    valid: { ...shipment('fuzz-shipment', 5), customerRef: 'customer' },
    fields: {
      shipmentId: 'slug',
      shippedOn: 'date',
      units: 'int',
      customerRef: 'text',
      expectedRevision: 'revision',
    },
    required: ['shipmentId', 'shippedOn', 'units'],
    param: 'program',
  },
  // A check writes nothing unless `record`; to an unknown program it is 404 like a command.
  'POST /v1/programs/{id}/checks': {
    schema: PlannedShipment.extend({ record: z.boolean().optional() }),
    valid: { shippedOn: '2024-03-01', units: 5, customerRef: 'customer', record: true },
    fields: {
      shippedOn: 'date',
      units: 'int',
      customerRef: 'text',
      destination: 'text',
      record: 'bool',
    },
    required: ['shippedOn', 'units'],
    param: 'program',
  },
  'POST /v1/programs/{id}/end': {
    schema: EndProgram.extend(revision),
    valid: { endedOn: '2024-06-01', reason: 'discontinued' },
    fields: { endedOn: 'date', reason: 'text', expectedRevision: 'revision' },
    required: ['endedOn', 'reason'],
    param: 'program',
  },
  'POST /v1/events/{eventId}/retractions': {
    schema: RetractionReason.extend(revision),
    valid: { reason: 'recorded by mistake' },
    fields: { reason: 'text', expectedRevision: 'revision' },
    required: ['reason'],
    param: 'event',
  },
};

/** Query parameters each GET route validates, with values that are invalid by construction. */
const QUERIES: Record<string, { params: string[]; param: Param }> = {
  'GET /v1/programs': { params: ['supplierId', 'specificationId', 'status', 'at'], param: null },
  'GET /v1/programs/{id}/status': { params: ['at', 'asKnownAt'], param: 'program' },
  'GET /v1/programs/{id}/audit-trail': { params: ['asKnownAt'], param: 'program' },
  'GET /v1/programs/{id}/timeline': { params: ['asKnownAt'], param: 'program' },
  'GET /v1/programs/{id}/status/receipt': { params: ['at', 'asKnownAt'], param: 'program' },
  'GET /v1/programs/{id}/timeline/receipt': { params: ['asKnownAt'], param: 'program' },
  'GET /v1/programs/{id}/audit-report': { params: ['format', 'at', 'asKnownAt'], param: 'program' },
  'GET /v1/deadlines': { params: ['withinDays', 'today'], param: null },
  'GET /v1/compliance/violations': { params: [], param: null },
  'GET /v1/compliance/backdating': { params: ['thresholdDays'], param: null },
  'GET /v1/events': { params: ['fromPosition', 'limit'], param: null },
  'GET /v1/events/{eventId}': { params: [], param: 'event' },
  'GET /v1/me': { params: [], param: null },
  'GET /v1/ledger/verify': { params: ['answers'], param: null },
  'GET /v1/ledger/checkpoint': { params: [], param: null },
  'GET /v1/ledger/checkpoints': { params: ['limit', 'cursor'], param: null },
  'GET /v1/ledger/checkpoint/public-key': { params: [], param: null },
  'GET /v1/ledger/proofs/inclusion': { params: ['eventId', 'treeSize'], param: null },
  'GET /v1/ledger/proofs/consistency': { params: ['from', 'to'], param: null },
};

/** Routes a recorder key may not call, so not fuzzed with one: an admin's, without a body. */
const ADMIN_ONLY = new Set([
  'POST /v1/ledger/checkpoints',
  // Alert subscriptions (their bodies and refusals: test/alerts/delivery.test.ts).
  'POST /v1/subscriptions',
  'GET /v1/subscriptions',
  'DELETE /v1/subscriptions/{id}',
  'GET /v1/subscriptions/{id}/deliveries',
  'POST /v1/subscriptions/{id}/deliveries/{deliveryId}/retry',
]);
/** Answers a line per program, any program: its line schema is fuzzed through the route above. */
const NOT_FUZZED = new Set([
  'POST /v1/checks',
  // People and signatures (their bodies, refusals and roles: test/api/signatures.test.ts).
  'POST /v1/signatures',
  'GET /v1/people',
  'POST /v1/people',
  'PUT /v1/people/{id}/passphrase',
  'POST /v1/people/me/passphrase',
  // tlog-tiles (paths, refusals and a Go follower: test/integrity/tlog-proof.test.ts; keys: auth.test.ts).
  'GET /v1/ledger/tlog/checkpoint',
  'GET /v1/ledger/tlog/tile/{path}',
]);

// ---- arbitraries -------------------------------------------------------------------------

const unicode = fc.string({ unit: 'grapheme', maxLength: 40 });
const nonString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(unicode, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);
const nonNumber = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(unicode, fc.integer(), { maxKeys: 3 }),
);
const badSlug = fc.oneof(
  fc.constantFrom(
    '',
    '   ',
    '-leading-dash',
    'has space',
    'a/b',
    'x'.repeat(65),
    'ünïcödé',
    '☃',
    '😀-emoji',
    'a\u0000b',
    '.dot',
  ),
  unicode.map((s) => `${s}\u2603`),
  unicode.map((s) => `-${s}`),
);
const badText = fc.oneof(
  fc.constantFrom('', ' ', '\t\n  ', '\u00a0'),
  // No visible character: zero-width, control, ignorable (issue 14 item 5).
  fc.constantFrom('\u200b', '\u200d\u2060\ufeff', '\u0000\u0007\u001b', '\u3164', ' \u00ad '),
  // A lone UTF-16 surrogate: JSON.stringify sends it as an escape the ledger cannot hash.
  fc
    .tuple(unicode, fc.integer({ min: 0xd800, max: 0xdfff }))
    .map(([text, unit]) => `${text}${String.fromCharCode(unit)}`),
);
const badDate = fc.oneof(
  fc.constantFrom(
    '2023-02-29',
    '2024-13-01',
    '2024-00-10',
    '2024-01-32',
    '24-01-01',
    '2024-1-1',
    '2024-01-01T00:00:00Z',
    '',
    'yesterday',
    '２０２４-01-01',
    '+002024-01-01',
  ),
  unicode.map((s) => `x${s}`),
);
const badInt = fc.oneof(
  fc.constantFrom(0, -1, 1_000_000_001, 1.5, -0.5, 1e21),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  nonNumber,
);
const badRevision = fc.oneof(
  fc.constantFrom(-2, 1.5, -1.5, '3', null, true, 2 ** 60, [0], { revision: 1 }),
  fc.integer({ max: -2 }),
);
const badBool = fc.oneof(
  fc.constantFrom('true', 'false', 0, 1, null, [], {}),
  fc.string({ maxLength: 5 }),
);
const badEnum = fc.oneof(
  fc.constantFrom('', 'APPROVED', 'Private-Market', 'other'),
  unicode.map((s) => `${s}!`),
  nonString,
);
const badArray = fc.oneof(
  fc.constantFrom(
    [{ kind: 'bogus' }],
    [{ kind: 'authorizes' }],
    [{ kind: 'authorizes', from: '2024-01-01', extra: 1 }],
    [{ kind: 'suspends', from: 'never' }],
    [
      {
        kind: 'sunset-after-trigger',
        trigger: { specificationId: 'x', event: 'tdp-public-release' },
        offset: {},
      },
    ],
    [''],
    [123],
    ['UPPER ☃'],
    'not-an-array',
    { 0: 'x' },
    Array.from({ length: 101 }, () => ({ kind: 'authorizes', from: '2024-01-01' })),
  ),
  fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.boolean()), { minLength: 1, maxLength: 5 }),
);

/** A value of the right JSON type but wrong content, per kind. */
const badContent: Record<Kind, fc.Arbitrary<unknown>> = {
  slug: badSlug,
  text: badText,
  date: badDate,
  int: badInt,
  bool: badBool,
  enum: badEnum,
  array: badArray,
  revision: badRevision,
};
/** A value of the wrong JSON type, per kind. */
const wrongType: Record<Kind, fc.Arbitrary<unknown>> = {
  slug: nonString,
  text: nonString,
  date: nonString,
  enum: nonString,
  int: nonNumber,
  revision: nonNumber,
  bool: fc.oneof(
    fc.integer(),
    fc.string({ maxLength: 5 }),
    fc.constant(null),
    fc.array(fc.boolean()),
  ),
  array: fc.oneof(
    fc.string(),
    fc.integer(),
    fc.constant(null),
    fc.dictionary(unicode, fc.integer(), { maxKeys: 3 }),
  ),
};

/** `valid` with `field` set to arrays or objects nested `depth` deep, as JSON text (no recursion). */
const nestedText = (
  valid: Record<string, unknown>,
  field: string,
  depth: number,
  asArray: boolean,
) => {
  const { [field]: _replaced, ...rest } = valid;
  const head = JSON.stringify(rest).slice(0, -1);
  const [open, close] = asArray ? ['[', ']'] : ['{"n":', '}'];
  return `${head}${head === '{' ? '' : ','}${JSON.stringify(field)}:${open.repeat(depth)}"bottom"${close.repeat(depth)}}`;
};

type Body = { kind: 'json'; value: unknown } | { kind: 'raw'; text: string };
interface Mutation {
  label: string;
  body: Body;
  /** The valid body on purpose, so the headers (or the path) are what is under test. */
  intact?: boolean;
}

/** A valid body broken by construction, or a random / malformed one. */
function brokenBody(route: CommandRoute): fc.Arbitrary<Mutation> {
  const fieldNames = Object.keys(route.fields);
  const stringFields = fieldNames.filter((f) =>
    ['slug', 'text', 'date', 'enum'].includes(route.fields[f] as Kind),
  );
  const withField = (label: string, field: string, value: unknown): Mutation => ({
    label: `${label} ${field}`,
    body: { kind: 'json', value: { ...route.valid, [field]: value } },
  });
  const field = fc.constantFrom(...fieldNames);
  return fc.oneof<fc.Arbitrary<Mutation>[]>(
    fc.constant<Mutation>({
      label: 'unbroken body (headers under test)',
      body: { kind: 'json', value: route.valid },
      intact: true,
    }),
    fc.constantFrom(...route.required).map((f) => {
      const { [f]: _dropped, ...rest } = route.valid;
      return { label: `missing ${f}`, body: { kind: 'json', value: rest } } as Mutation;
    }),
    field.chain((f) =>
      wrongType[route.fields[f] as Kind].map((v) => withField('wrong type', f, v)),
    ),
    field.chain((f) =>
      badContent[route.fields[f] as Kind].map((v) => withField('bad value', f, v)),
    ),
    fc
      .tuple(
        fc.constantFrom(...stringFields),
        fc.integer({ min: 4001, max: BODY_LIMIT + 8 * 1024 }),
        fc.constantFrom('a', 'é', '☃', '😀', ' '),
      )
      .map(([f, length, char]) =>
        withField(`huge (${length} chars) string in`, f, char.repeat(length)),
      ),
    fc.tuple(field, fc.integer({ min: 50, max: 10_000 }), fc.boolean()).map(
      ([f, depth, asArray]): Mutation => ({
        label: `${asArray ? 'arrays' : 'objects'} nested ${depth} deep in ${f}`,
        body: { kind: 'raw', text: nestedText(route.valid, f, depth, asArray) },
      }),
    ),
    fc
      .tuple(
        unicode.filter((k) => !(k in route.fields)),
        fc.jsonValue({ maxDepth: 3 }),
      )
      .map(([key, value]) => ({
        label: `unknown field ${JSON.stringify(key)}`,
        body: { kind: 'json', value: { ...route.valid, [key]: value } },
      })),
    fc
      .jsonValue({ maxDepth: 4 })
      .map((value) => ({ label: 'random JSON value', body: { kind: 'json', value } })),
    fc
      .constantFrom(
        '',
        '{',
        '{"a":}',
        '[1,]',
        'nul',
        '"unterminated',
        '{"a":1}{"b":2}',
        '\u0000',
        `{"__proto__":{"polluted":true},${JSON.stringify(route.valid).slice(1)}`,
        `{"constructor":{"prototype":{"polluted":true}},${JSON.stringify(route.valid).slice(1)}`,
        `${JSON.stringify(route.valid).slice(0, -1)},}`,
      )
      .map((text) => ({
        label: `raw ${JSON.stringify(text.slice(0, 30))}`,
        body: { kind: 'raw', text },
      })),
    fc
      .string({ unit: 'binary', maxLength: 200 })
      .filter(notJson)
      .map((text) => ({ label: 'random text', body: { kind: 'raw', text } })),
  );
}

function notJson(text: string): boolean {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
}

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json;charset=UTF-8',
      'application/json; charset=utf-16',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=----fuzz',
      'application/problem+json',
      'application/octet-stream',
      'application/jsonx',
      'garbage',
      '',
      undefined,
    ),
  },
);
/** Header values Node can send: tab, visible ASCII, space, Latin-1. */
const headerText = fc.string({
  unit: fc.constantFrom(...' !"#$%&\'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~é\u00ff\t'),
  maxLength: 60,
});
const idempotencyKey = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 0, max: 1e6 }).map((n) => `fuzz-key-${n}`),
  fc.constantFrom('has space', 'x'.repeat(201), 'clé', '\t', 'a\u00ffb'),
  headerText,
);
const ifMatch = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -1, max: 20 }).map((n) => `"${n}"`),
  fc.constantFrom('*', '3', 'W/3', '"abc"', '""', '"1", "2"', 'W/"x"', '"-"'),
  headerText,
);
const pathId = (param: Param) =>
  param === 'event'
    ? fc.constantFrom(
        'existing',
        GHOST_EVENT,
        'not-a-uuid',
        encodeURIComponent('☃'),
        // Longer than 100 characters, or a bad %-escape, is refused by the router itself: see
        // the framework-errors block below.
        'x'.repeat(99),
      )
    : fc.constantFrom(
        'existing',
        'ghost',
        'UPPER-CASE-ID',
        encodeURIComponent('ünï ☃'),
        '-bad',
        'x'.repeat(70),
        '..',
      );

// Query values invalid by construction for each parameter.
const badTreeSize = fc.constantFrom('-1', '1.5', 'abc', '1e400', '9007199254740993', '0x10');
const badQuery: Record<string, fc.Arbitrary<string>> = {
  at: badDate.filter((d): d is string => typeof d === 'string'),
  today: badDate.filter((d): d is string => typeof d === 'string'),
  asKnownAt: fc.constantFrom(
    '-1',
    '1e3',
    'abc',
    '2024-01-01',
    '2024-01-01T00:00:00',
    '1234567890123456',
    '',
    'now',
    // More digits than Temporal's nanoseconds (issue 14 item 5).
    '2026-12-01T18:28:00.1234567891Z',
    '2026-12-01T18:28:00.000000000001+01:00',
  ),
  withinDays: fc.constantFrom('-5', '1.5', 'abc', '36501', '1e9', 'NaN', 'Infinity', 'x1'),
  thresholdDays: fc.constantFrom('-1', '2.5', 'ten', '99999999', 'Infinity'),
  fromPosition: fc.constantFrom('0', '-1', 'abc', '1.5', '1e400', '9007199254740993'),
  limit: fc.constantFrom('0', '1001', 'abc', '-1', '2.5', ''),
  status: fc.constantFrom('AUTHORIZED', 'unknown', '', 'authorised'),
  supplierId: fc.constantFrom('has space', '☃', '-x', 'x'.repeat(65), ''),
  specificationId: fc.constantFrom('has space', '☃', '-x', 'x'.repeat(65)),
  eventId: fc.constantFrom('', 'x'.repeat(201)),
  treeSize: badTreeSize,
  from: badTreeSize,
  to: badTreeSize,
  answers: fc.constantFrom('yes', '1', 'TRUE', ''),
  format: fc.constantFrom('pdf', 'HTML', '', 'json;'),
  cursor: fc.constantFrom('abc', '-1', '', '1.5', '0x10', '01', '9'.repeat(17)),
};
const anyQueryValue = fc.oneof(
  unicode,
  fc.constantFrom('1', '2024-01-01', '10', 'true', '%zz', ''),
);
const QUERY_NAMES = [
  'at',
  'asKnownAt',
  'withinDays',
  'fromPosition',
  'limit',
  'today',
  'thresholdDays',
  'status',
];

/** Names no route declares: a near miss of a real one, or anything (issue 14 item 6). */
const unknownName = fc.oneof(
  fc.constantFrom('within', 'asKnownat', 'AT', 'limits', 'page', 'verbose', 'x'),
  unicode.map((s) => `unknown-${s}`),
);

function query(params: string[]): fc.Arbitrary<{ text: string; garbage: boolean }> {
  const unknown = fc
    .tuple(unknownName, anyQueryValue)
    .map(([p, v]) => [[p, v, true]] as [string, string, boolean][]);
  const garbage =
    params.length > 0
      ? fc.oneof(
          fc
            .constantFrom(...params)
            .chain((p) =>
              (badQuery[p] as fc.Arbitrary<string>).map(
                (v) => [[p, v, true]] as [string, string, boolean][],
              ),
            ),
          unknown,
        )
      : fc.oneof(fc.constant([] as [string, string, boolean][]), unknown);
  const extra = fc.array(
    fc.tuple(fc.oneof(fc.constantFrom(...QUERY_NAMES), unicode), anyQueryValue, fc.constant(false)),
    { maxLength: 4 },
  );
  const raw = fc.constantFrom('', '&', '%zz=1', '=x', 'a[b]=1', '%00', 'limit=1&limit=2', '&&&');
  return fc.tuple(garbage, extra, raw, fc.boolean()).map(([bad, more, rawPart, garbageFirst]) => {
    const pairs = garbageFirst ? [...bad, ...more] : [...more, ...bad];
    const encoded = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    if (rawPart) encoded.push(rawPart);
    return { text: encoded.join('&'), garbage: bad.length > 0 };
  });
}

// ---- the run -------------------------------------------------------------------------------

describe('fuzzing every route with a valid recorder key', () => {
  let files: LedgerFiles;
  let server: ServerProcess;
  let key = '';
  let existingEventId = '';
  let before: LedgerEvent[] = [];
  let routes: string[] = [];
  const stats = {
    requests: 0,
    accidentallyValid: 0,
    intact: 0,
    byStatus: {} as Record<number, number>,
    byRoute: {} as Record<string, number>,
  };

  beforeAll(async () => {
    files = createLedgerFiles({ recorder: 'recorder' });
    key = files.keys.recorder?.key ?? '';
    server = await startServer(files, { env: { LEDGER_BODY_LIMIT: String(BODY_LIMIT) } });
    await registerPrograms(server, key, [PROGRAM]);
    const spec = await server.post(
      '/v1/specifications',
      { specificationId: SPEC, regulator: 'USPS', title: 'Fuzz' },
      { key },
    );
    expect(spec.status).toBe(201);
    const application = await server.post(
      `/v1/programs/${PROGRAM}/license-applications`,
      { applicationId: 'fuzz-existing-application', submittedOn: '2024-01-01', documentRef: 'a' },
      { key },
    );
    expect(application.status).toBe(201);
    existingEventId = application.json.eventId;
    const openapi = await server.get('/openapi.json');
    routes = Object.entries(openapi.json.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    before = await readWholeLedger(server, key);
  });

  afterAll(async () => {
    console.log(
      `fuzz (seed ${SEED}): ${stats.requests} requests, ${stats.intact} valid bodies on purpose (headers under test) and ${stats.accidentallyValid} broken ones that came out valid, all sent where they cannot write\n` +
        `  by status: ${JSON.stringify(stats.byStatus)}\n  by route: ${JSON.stringify(stats.byRoute)}`,
    );
    await stopAllServers();
    removeAllFiles();
  });

  /** The path for a route: "existing" names a real target only when the body cannot be recorded. */
  const concrete = (template: string, param: Param, id: string, valid: boolean) => {
    const real = param === 'event' ? existingEventId : param === 'spec' ? SPEC : PROGRAM;
    const ghost = param === 'event' ? GHOST_EVENT : param === 'spec' ? GHOST_SPEC : GHOST_PROGRAM;
    let value = id;
    if (id === 'existing') value = valid ? ghost : real;
    else if (id === 'ghost') value = ghost;
    return template.replace(/\{[^}]+\}/, value);
  };

  const record = (route: string, response: HttpResponse) => {
    stats.requests++;
    stats.byStatus[response.status] = (stats.byStatus[response.status] ?? 0) + 1;
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
  };

  it('covers every route the OpenAPI document lists', () => {
    const v1 = routes.filter((r) => r.includes(' /v1/'));
    expect(v1.length).toBeGreaterThan(0);
    expect(
      v1.filter(
        (r) => !(r in COMMANDS) && !(r in QUERIES) && !ADMIN_ONLY.has(r) && !NOT_FUZZED.has(r),
      ),
    ).toEqual([]);
    expect(
      [...Object.keys(COMMANDS), ...Object.keys(QUERIES)].filter((r) => !routes.includes(r)),
    ).toEqual([]);
  });

  it('control: each unbroken body passes validation, locally and on the server', async () => {
    for (const [route, spec] of Object.entries(COMMANDS)) {
      expect(spec.schema.safeParse(spec.valid).success, route).toBe(true);
      const template = route.split(' ')[1] as string;
      // Sent where it cannot write: an id that never exists, or a registration repeated with
      // other content (the same content would be the same fact, answered 200).
      const response =
        spec.param === null
          ? await server.post(
              template,
              route === 'POST /v1/programs'
                ? { ...spec.valid, programId: PROGRAM, regulator: 'another regulator' }
                : { ...spec.valid, specificationId: SPEC, regulator: 'another regulator' },
              { key },
            )
          : await server.post(concrete(template, spec.param, 'existing', true), spec.valid, {
              key,
            });
      const expected = spec.param === null ? [422, 'refused/already-registered'] : [404, undefined];
      expect(response.status, `${route}: ${response.text}`).toBe(expected[0]);
      if (expected[1])
        expect(response.json.type).toBe(`urn:compliance-ledger:problem:${expected[1]}`);
      expect(problemDefects(response)).toEqual([]);
    }
  });

  it('commands: every broken body, odd header or bad path gets a 4xx problem', async () => {
    const defects: string[] = [];
    let offset = 0;
    for (const [route, spec] of Object.entries(COMMANDS)) {
      const cases = fc.sample(
        fc.record({
          mutation: brokenBody(spec),
          contentType,
          idempotencyKey,
          ifMatch,
          id: pathId(spec.param),
        }),
        { numRuns: COMMAND_CASES_PER_ROUTE, seed: SEED + offset++ },
      );
      for (const c of cases) {
        const value = c.mutation.body.kind === 'json' ? c.mutation.body.value : undefined;
        const valid = c.mutation.body.kind === 'json' && spec.schema.safeParse(value).success;
        let body = c.mutation.body;
        if (valid) {
          if (c.mutation.intact) stats.intact++;
          else stats.accidentallyValid++;
          // A body that happens to be valid must still write nothing: path commands go to an id
          // that never exists; registrations repeat an existing id (refused as already registered).
          if (spec.param === null) {
            const idField = route === 'POST /v1/programs' ? 'programId' : 'specificationId';
            body = {
              kind: 'json',
              value: { ...(value as object), [idField]: idField === 'programId' ? PROGRAM : SPEC },
            };
          }
        }
        const path = spec.param
          ? concrete(route.split(' ')[1] as string, spec.param, c.id, valid)
          : (route.split(' ')[1] as string);
        const headers: Record<string, string> = {};
        if (c.contentType !== undefined) headers['content-type'] = c.contentType;
        if (c.idempotencyKey !== undefined) headers['idempotency-key'] = c.idempotencyKey;
        if (c.ifMatch !== undefined) headers['if-match'] = c.ifMatch;
        const raw = body.kind === 'raw' ? body.text : JSON.stringify(body.value);
        let response: HttpResponse;
        try {
          response = await server.request('POST', path, { key, headers, raw: raw ?? '' });
        } catch (error) {
          defects.push(
            `POST ${path} [${c.mutation.label}]: no answer (${(error as Error).message})`,
          );
          continue;
        }
        record(route, response);
        // The same registration sent again is one fact (docs/design.md §5.7): 200, nothing written.
        if (valid && spec.param === null && response.status === 200) {
          const answer = JSON.parse(response.text) as { alreadyRecorded?: boolean; events?: [] };
          if (answer.alreadyRecorded === true && answer.events?.length === 0) continue;
        }
        const wrong = problemDefects(response);
        if (response.status < 400 || response.status > 499)
          wrong.unshift(`status ${response.status}`);
        if (wrong.length > 0)
          defects.push(
            `POST ${path} [${c.mutation.label}; content-type ${c.contentType}; idempotency-key ${JSON.stringify(c.idempotencyKey)}; if-match ${JSON.stringify(c.ifMatch)}]: ${wrong.join(', ')}: ${response.text.slice(0, 300)}`,
          );
      }
    }
    expect(defects).toEqual([]);
  }, 120_000);

  it('queries: garbage query strings and path ids never get a 5xx, and get a 4xx problem', async () => {
    const defects: string[] = [];
    let offset = 100;
    for (const [route, spec] of Object.entries(QUERIES)) {
      const cases = fc.sample(fc.record({ q: query(spec.params), id: pathId(spec.param) }), {
        numRuns: QUERY_CASES_PER_ROUTE,
        seed: SEED + offset++,
      });
      for (const c of cases) {
        const base = spec.param
          ? concrete(route.split(' ')[1] as string, spec.param, c.id, false)
          : (route.split(' ')[1] as string);
        const path = c.q.text ? `${base}?${c.q.text}` : base;
        let response: HttpResponse;
        try {
          response = await server.get(path, { key });
        } catch (error) {
          defects.push(`GET ${path}: no answer (${(error as Error).message})`);
          continue;
        }
        record(route, response);
        const wrong: string[] = [];
        if (response.status >= 500) wrong.push(`status ${response.status}`);
        if (c.q.garbage && response.status < 400)
          wrong.push(`status ${response.status} for an invalid query`);
        if (response.status >= 400) wrong.push(...problemDefects(response));
        else if (leaksInternals(response.text)) wrong.push('leaks internals');
        if (wrong.length > 0)
          defects.push(`GET ${path}: ${wrong.join(', ')}: ${response.text.slice(0, 300)}`);
      }
    }
    expect(defects).toEqual([]);
  }, 120_000);

  it('nothing was written, and the server is still up and sound', async () => {
    expect(stats.requests).toBeGreaterThanOrEqual(300);
    for (const route of [...Object.keys(COMMANDS), ...Object.keys(QUERIES)])
      expect(stats.byRoute[route] ?? 0, route).toBeGreaterThan(0);
    expect(server.exited()).toBe(false);
    expect((await server.get('/healthz')).status).toBe(200);
    const after = await readWholeLedger(server, key);
    expect(after).toEqual(before);
    const ready = await server.get('/readyz');
    expect(ready.json).toMatchObject({ ready: true, headPosition: before.length });
    const verify = await server.get('/v1/ledger/verify', { key });
    expect(verify.json).toMatchObject({ ok: true, events: before.length });
  });

  /**
   * URLs the router refuses before any route runs: a bad %-escape in the path (FST_ERR_BAD_URL,
   * 400) and a path parameter over find-my-way's 100 characters (FST_ERR_MAX_PARAM_LENGTH, 414).
   */
  const routerRefusals = () =>
    [...Object.keys(COMMANDS), ...Object.keys(QUERIES)]
      .filter((route) => route.includes('{'))
      .flatMap((route) => {
        const [method, template] = route.split(' ') as [string, string];
        return ['%zz', 'a%', '%E0%A4%A', 'x'.repeat(101), 'y'.repeat(2000)].map((id) => ({
          method,
          path: template.replace(/\{[^}]+\}/, id),
        }));
      });

  it('the router refuses malformed and over-long path segments with a 4xx, leaking nothing', async () => {
    const defects: string[] = [];
    for (const { method, path } of routerRefusals()) {
      const response = await server.request(method, path, { key, json: {} });
      record(`${method} (router refusal)`, response);
      if (response.status < 400 || response.status > 499)
        defects.push(`${method} ${path}: ${response.status}`);
      if (leaksInternals(response.text)) defects.push(`${method} ${path}: leaks internals`);
    }
    expect(defects).toEqual([]);
    expect((await server.get('/healthz')).status).toBe(200);
    expect(await readWholeLedger(server, key)).toEqual(before);
  });

  /**
   * Router refusals never reach the app's error handler; fastify hands them to the
   * `frameworkErrors` option only (FST_ERR_BAD_URL, FST_ERR_MAX_PARAM_LENGTH). They too must be
   * RFC 9457 problem+json.
   */
  it('router refusals (bad %-escape, over-long id) answer in problem+json', async () => {
    const defects: string[] = [];
    for (const { method, path } of routerRefusals()) {
      const response = await server.request(method, path, { key, json: {} });
      const wrong = problemDefects(response);
      if (wrong.length > 0) defects.push(`${method} ${path.slice(0, 80)}: ${wrong.join(', ')}`);
    }
    expect(defects).toEqual([]);
  });

  /**
   * A TDP release dated 9999-12-31 (which once let a sunset be computed past year 9999) is a fact
   * dated in the future: refused 422 date-in-the-future, nothing written (issue 21 item 8). The
   * clamping at 9999-12-31 that older ledgers may still need is covered in
   * test/domain/calendar.properties.test.ts.
   */
  it('a TDP release dated 9999-12-31 is refused as dated in the future', async () => {
    const specificationId = 'fuzz-far-spec';
    expect(
      (
        await server.post(
          '/v1/specifications',
          { specificationId, regulator: 'USPS', title: 'Far' },
          { key },
        )
      ).status,
    ).toBe(201);
    const release = await server.post(
      `/v1/specifications/${specificationId}/tdp-releases`,
      { releasedOn: '9999-12-31', publicRelease: true, documentRef: 'tdp' },
      { key },
    );
    expect(release.status, release.text).toBe(422);
    expect(release.json.type).toBe('urn:compliance-ledger:problem:refused/date-in-the-future');
    expect(problemDefects(release)).toEqual([]);
  });
});
