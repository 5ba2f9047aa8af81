/**
 * Issue 28, item 1: writes made elsewhere (another process on the same SQLite file, another
 * instance on the same PostgreSQL database) are read wherever a request lands.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import { anEvent } from '../eventstore/contract.ts';
import { currentSpecification, PROGRAM_ID, program } from '../support/founding-case.ts';
import { postgresForSuite } from '../support/postgres-server.ts';
import {
  createTestFiles,
  expectRecorded,
  registerSpecifications,
  startApi,
  type TestApi,
  type TestFiles,
} from './support.ts';

const opened: TestApi[] = [];
let files: TestFiles | undefined;
afterEach(async () => {
  for (const api of opened.splice(0)) await api.close();
  files?.remove();
  files = undefined;
});

async function twoInstances(env: Record<string, string> = {}): Promise<[TestApi, TestApi]> {
  files = createTestFiles();
  const a = await startApi({ files, store: 'sqlite', env });
  const b = await startApi({ files, store: 'sqlite', env });
  opened.push(a, b);
  return [a, b];
}

describe('writes by another process on the same SQLite file', () => {
  it('are applied by the server within a second, without a request or a write of its own', async () => {
    const [writer, server] = await twoInstances();
    const recorded = expectRecorded(
      await writer.post('/v1/specifications', {
        ...currentSpecification,
        specificationId: 'spec-x',
      }),
    ).position;
    // Bounded: today the server never hears of the commit until its own next write.
    await server.app.ledger.projections.waitFor(recorded, 3_000);
    expect(server.app.ledger.projections.position).toBe(recorded);
  });

  it('a CLI-style writer (its own store on the file) is seen: programs listed, status 200', async () => {
    files = createTestFiles();
    const server = await startApi({ files, store: 'sqlite' });
    opened.push(server);
    const other = await startApi({ files, store: 'sqlite' });
    await registerSpecifications(other);
    expectRecorded(await other.post('/v1/programs', program));
    await other.close();
    const programs = await server.get('/v1/programs');
    expect(programs.data.programs.map((p: { programId: string }) => p.programId)).toEqual([
      PROGRAM_ID,
    ]);
    expect((await server.get(`/v1/programs/${PROGRAM_ID}/status`)).statusCode).toBe(200);
  });

  it('GET /v1/events/{id} reads the store, in either case of the id', async () => {
    const [writer, server] = await twoInstances();
    const { eventId } = expectRecorded(
      await writer.post('/v1/specifications', {
        ...currentSpecification,
        specificationId: 'spec-y',
      }),
    );
    // The projections here are stopped: only the store can answer.
    await server.app.ledger.projections.close();
    for (const id of [eventId, eventId.toUpperCase()]) {
      const response = await server.get(`/v1/events/${id}`);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.data.eventId).toBe(eventId);
    }
  });
});

// A second, independent store on the file: what `compliance-ledger import` opens.
describe('a bare store writing the file', () => {
  it('wakes the subscription of another store on the file', async () => {
    files = createTestFiles();
    const path = files.sqliteUrl.slice('sqlite:'.length);
    const reader = openSqliteEventStore(path);
    const writer = openSqliteEventStore(path);
    const subscription = reader.subscribe({ fromPosition: 1 });
    const first = subscription[Symbol.asyncIterator]().next();
    await writer.append('specification-z', [anEvent()], { expectedRevision: 'no-stream' });
    const timeout = new Promise((resolve) => setTimeout(resolve, 3_000, 'not delivered'));
    const delivered = await Promise.race([first, timeout]);
    expect(delivered).toMatchObject({ done: false, value: { position: 1 } });
    await subscription.close();
    await writer.close();
    await reader.close();
  });
});

const pg = await postgresForSuite();
afterAll(async () => pg?.destroy());

describe.skipIf(!pg)('two instances on one PostgreSQL database', () => {
  it('every program registered through one is known to the other right after the 201', async () => {
    const url = await (pg as NonNullable<typeof pg>).createLedgerDatabase();
    files = createTestFiles();
    const a = await startApi({ files, env: { LEDGER_STORE: url } });
    const b = await startApi({ files, env: { LEDGER_STORE: url } });
    opened.push(a, b);
    await registerSpecifications(a);
    const unknown: string[] = [];
    for (let i = 0; i < 50; i++) {
      const programId = `rw-${i}`;
      expectRecorded(await a.post('/v1/programs', { ...program, programId }));
      const status = await b.get(`/v1/programs/${programId}/status`);
      if (status.statusCode !== 200) unknown.push(`${programId}: ${status.statusCode}`);
    }
    expect(unknown).toEqual([]);
  }, 60_000);
});
