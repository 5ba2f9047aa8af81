/**
 * Issue 14, item 1: one auditor cannot stall the server. A whole-ledger verify runs in a worker
 * thread, so /healthz is answered while it runs; and one API key has at most
 * LEDGER_HEAVY_PER_KEY heavy requests in flight, the next one refused 429 with Retry-After.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLedger } from '../../bench/generated-ledger.ts';
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

describe('whole-ledger work does not hold the event loop', () => {
  it('answers /healthz while a verify of the whole ledger runs', async () => {
    const answered: string[] = [];
    const verifying = verify('first').then((r) => {
      answered.push('verify');
      return r;
    });
    // Time for the verify to reach its handler; /healthz is sent while it runs.
    await sleep(300);
    const health = await server.get('/healthz');
    answered.push('healthz');
    expect(health.status).toBe(200);
    const report = await verifying;
    expect(report.status, report.text).toBe(200);
    expect(report.json).toMatchObject({ ok: true, events: expect.any(Number) });
    expect(report.json.events).toBeGreaterThan(EVENTS * 0.9);
    expect(answered).toEqual(['healthz', 'verify']);
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
