/**
 * Issue 14, item 1 and issue 28, item 2: one auditor cannot stall the server. A whole-ledger
 * verify, and the violations and backdating lists, run in worker threads, so /healthz is answered
 * while they run; and one API key has at most LEDGER_HEAVY_PER_KEY heavy requests in flight, the
 * next one refused 429 with Retry-After.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLedger } from '../../bench/generated-ledger.ts';
import { backdating } from '../../projections/backdating.ts';
import { programFacts } from '../../projections/program-facts.ts';
import { shipments } from '../../projections/shipments.ts';
import { violations } from '../../projections/violations.ts';
import { openEventStore } from '../../src/eventstore/open.ts';
import { readLedger } from '../../src/integrity/verify-ledger.ts';
import { replayLedger } from '../../src/projections/replay.ts';
import {
  createLedgerFiles,
  expectProblem,
  type HttpResponse,
  type LedgerFiles,
  removeAllFiles,
  type ServerProcess,
  sleep,
  startServer,
  stopAllServers,
} from './support.ts';

const EVENTS = 20_000;

let files: LedgerFiles;
let server: ServerProcess;

beforeAll(async () => {
  files = createLedgerFiles({ first: 'auditor', second: 'auditor' });
  await generateLedger(files.storePath, EVENTS);
  server = await startServer(files, {
    env: { LEDGER_HEAVY_PER_KEY: '1' },
    startTimeoutMs: 120_000,
  });
}, 180_000);
afterAll(async () => {
  await stopAllServers();
  removeAllFiles();
});

const key = (name: 'first' | 'second') => files.keys[name]?.key as string;
const verify = (name: 'first' | 'second') =>
  server.get('/v1/ledger/verify', { key: key(name), timeoutMs: 120_000 });

/**
 * `heavy` sent, then /healthz once the server has one more thread than before (the first heavy
 * request of each kind starts the worker thread that serves that kind), not after a fixed wait:
 * Node 24 ended a verify of 20,000 events within the 300 ms these tests once waited. Work on the
 * event loop starts no thread and holds /healthz to its end, so it is answered second.
 */
async function healthzWhile(heavy: () => Promise<HttpResponse>) {
  const threads = () => readdirSync(`/proc/${server.pid}/task`).length;
  const idle = threads();
  const answered: string[] = [];
  const running = heavy().then((r) => {
    answered.push('heavy');
    return r;
  });
  while (answered.length === 0 && threads() <= idle) await sleep(2);
  const health = await server.get('/healthz');
  answered.push('healthz');
  expect(health.status).toBe(200);
  return { answered, response: await running };
}

describe('whole-ledger work does not hold the event loop', () => {
  it('answers /healthz while a verify of the whole ledger runs', async () => {
    const { answered, response: report } = await healthzWhile(() => verify('first'));
    expect(report.status, report.text).toBe(200);
    expect(report.json).toMatchObject({ ok: true, events: expect.any(Number) });
    expect(report.json.events).toBeGreaterThan(EVENTS * 0.9);
    expect(answered).toEqual(['healthz', 'heavy']);
  }, 120_000);
});

/** Every item of a paged list, page after page. */
async function wholeList(path: string, field: string, name: 'first' | 'second') {
  const items: { position: number; eventId: string; lagDays?: number }[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const query = `${separator}limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await server.get(`${path}${query}`, { key: key(name), timeoutMs: 120_000 });
    expect(page.status, page.text).toBe(200);
    items.push(...page.json[field]);
    cursor = page.json.next;
  } while (cursor);
  return items;
}

/** The lists computed here, by the projections' own functions over a replay of the file. */
async function expectedLists(thresholdDays: number) {
  const store = await openEventStore(`sqlite:${files.storePath}`, { readOnly: true });
  try {
    const replayed = await replayLedger(readLedger(store), [programFacts, shipments]);
    const facts = replayed.state(programFacts);
    const shipped = replayed.state(shipments);
    return {
      violations: violations(facts, shipped),
      backdating: backdating(facts, shipped, thresholdDays),
    };
  } finally {
    await store.close();
  }
}

describe('the violations and backdating lists run off the event loop', () => {
  it('answers /healthz while the violations list of the whole ledger is computed', async () => {
    const { answered, response } = await healthzWhile(() =>
      server.get('/v1/compliance/violations?limit=1', { key: key('second'), timeoutMs: 120_000 }),
    );
    expect(response.status).toBe(200);
    expect(answered).toEqual(['healthz', 'heavy']);
  }, 120_000);

  it('gives the lists the projections compute, every page', async () => {
    const expected = await expectedLists(30);
    expect(expected.violations.length).toBeGreaterThan(0);
    expect(expected.backdating.length).toBeGreaterThan(0);
    const listed = await wholeList('/v1/compliance/violations', 'violations', 'second');
    expect(listed.map((v) => v.eventId)).toEqual(
      [...expected.violations].sort((a, b) => a.position - b.position).map((v) => v.eventId),
    );
    const backdated = await wholeList(
      '/v1/compliance/backdating?thresholdDays=30',
      'facts',
      'second',
    );
    expect(backdated.map((f) => [f.eventId, f.lagDays]).sort()).toEqual(
      expected.backdating.map((f) => [f.eventId, f.lagDays]).sort(),
    );
  }, 120_000);

  it('caps the lists per key: a second list from one key while the first runs is refused', async () => {
    // Two thresholds never asked before: each is a fresh whole-ledger computation.
    const [a, b] = await Promise.all([
      server.get('/v1/compliance/backdating?thresholdDays=31', {
        key: key('first'),
        timeoutMs: 120_000,
      }),
      server.get('/v1/compliance/backdating?thresholdDays=32', {
        key: key('first'),
        timeoutMs: 120_000,
      }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 429]);
    expectProblem(a.status === 429 ? a : b, 429, 'too-many-heavy-requests');
  }, 120_000);
});

describe('heavy requests per API key', () => {
  it('refuses a key its second heavy request while the first runs; other keys are served', async () => {
    const [a, b, other] = await Promise.all([verify('first'), verify('first'), verify('second')]);
    const byKey = [a, b].map((r: HttpResponse) => r.status).sort();
    expect(byKey).toEqual([200, 429]);
    const refused = a.status === 429 ? a : b;
    expectProblem(refused, 429, 'too-many-heavy-requests');
    expect(refused.headers['retry-after']).toBe('1');
    expect(other.status).toBe(200);

    // The slot is free again once the answer was given.
    expect((await verify('first')).status).toBe(200);
    const violations = await server.get('/v1/compliance/violations', { key: key('first') });
    expect(violations.status).toBe(200);
  }, 120_000);
});
