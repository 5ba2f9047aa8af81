/**
 * Optimistic concurrency against a real server: many writers append to the same program at the
 * same expected revision; exactly one wins each revision, the others get a conflict problem, and
 * the stream ends up with no gaps and exactly one event per win.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLedgerFiles,
  expectProblem,
  type HttpResponse,
  type LedgerFiles,
  ledgerDefects,
  readWholeLedger,
  registerPrograms,
  removeAllFiles,
  type ServerProcess,
  shipment,
  startServer,
  stopAllServers,
} from './support.ts';

const PROGRAM = 'contested';
const STREAM = `program-${PROGRAM}`;
const WRITERS = 20;
type Mode = 'body' | 'if-match';
const ROUNDS: Mode[] = [
  'body',
  'if-match',
  'body',
  'if-match',
  'if-match',
  'body',
  'if-match',
  'body',
];

describe('concurrent writers at the same expected revision', () => {
  let files: LedgerFiles;
  let server: ServerProcess;
  let key = '';
  /** The stream's revision as the last winner left it (0: just registered). */
  let revision = 0;
  const wins: { eventId: string; revision: number; shipmentId: string }[] = [];
  const log: string[] = [];

  beforeAll(async () => {
    files = createLedgerFiles({ writer: 'recorder' });
    key = files.keys.writer?.key ?? '';
    server = await startServer(files);
    await registerPrograms(server, key, [PROGRAM]);
  });

  afterAll(async () => {
    console.log(`conflict rounds:\n${log.join('\n')}`);
    await stopAllServers();
    removeAllFiles();
  });

  const post = (shipmentId: string, mode: Mode | 'none', expected: number) => {
    const body = shipment(shipmentId);
    if (mode === 'body')
      return server.post(
        `/v1/programs/${PROGRAM}/shipments`,
        { ...body, expectedRevision: expected },
        { key },
      );
    const headers: Record<string, string> =
      mode === 'if-match' ? { 'if-match': `"${expected}"` } : {};
    return server.post(`/v1/programs/${PROGRAM}/shipments`, body, { key, headers });
  };

  const byStatus = (responses: HttpResponse[]) => {
    const counts: Record<number, number> = {};
    for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
    return counts;
  };

  ROUNDS.forEach((mode, index) => {
    const round = index + 1;
    it(`round ${round} (${mode}): exactly one of ${WRITERS} writers wins revision ${round}`, async () => {
      const expected = revision;
      const responses = await Promise.all(
        Array.from({ length: WRITERS }, (_, w) =>
          post(`round-${round}-writer-${w}`, mode, expected),
        ),
      );
      log.push(
        `  round ${round} (${mode}, expected ${expected}): ${JSON.stringify(byStatus(responses))}`,
      );
      const winners = responses.filter((r) => r.status === 201);
      expect(winners, JSON.stringify(byStatus(responses))).toHaveLength(1);
      const winner = winners[0] as HttpResponse;
      expect(winner.json).toMatchObject({
        stream: STREAM,
        revision: expected + 1,
        alreadyRecorded: false,
      });
      expect(winner.headers.etag).toBe(`"${expected + 1}"`);
      const loserStatus = mode === 'body' ? 409 : 412;
      const loserType = mode === 'body' ? 'revision-conflict' : 'precondition-failed';
      for (const loser of responses.filter((r) => r !== winner))
        expectProblem(loser, loserStatus, loserType);
      const w = responses.indexOf(winner);
      wins.push({
        eventId: winner.json.eventId,
        revision: expected + 1,
        shipmentId: `round-${round}-writer-${w}`,
      });
      revision = expected + 1;
    });
  });

  it(`a stale expected revision loses for all ${WRITERS} writers and writes nothing`, async () => {
    const before = (await readWholeLedger(server, key)).length;
    const responses = await Promise.all(
      Array.from({ length: WRITERS }, (_, w) =>
        post(`stale-writer-${w}`, w % 2 === 0 ? 'body' : 'if-match', revision - 1),
      ),
    );
    log.push(`  stale round (expected ${revision - 1}): ${JSON.stringify(byStatus(responses))}`);
    for (const [w, r] of responses.entries())
      expectProblem(
        r,
        w % 2 === 0 ? 409 : 412,
        w % 2 === 0 ? 'revision-conflict' : 'precondition-failed',
      );
    expect((await readWholeLedger(server, key)).length).toBe(before);
  });

  it(`${WRITERS} writers without an expected revision: no write lost or doubled`, async () => {
    const responses = await Promise.all(
      Array.from({ length: WRITERS }, (_, w) => post(`free-writer-${w}`, 'none', 0)),
    );
    log.push(`  unconditioned round: ${JSON.stringify(byStatus(responses))}`);
    const won = responses.filter((r) => r.status === 201);
    // The handler re-decides on a conflict a bounded number of times; any writer it gives up on
    // gets a 409 problem (and nothing written), never something else.
    for (const r of responses.filter((x) => x.status !== 201))
      expectProblem(r, 409, 'revision-conflict');
    const revisions = won.map((r) => r.json.revision as number).sort((a, b) => a - b);
    expect(revisions).toEqual(Array.from({ length: won.length }, (_, i) => revision + 1 + i));
    for (const [w, r] of responses.entries())
      if (r.status === 201)
        wins.push({
          eventId: r.json.eventId,
          revision: r.json.revision,
          shipmentId: `free-writer-${w}`,
        });
    revision += won.length;
  });

  it('the stream has no gaps and one event per win', async () => {
    const events = await readWholeLedger(server, key);
    expect(ledgerDefects(events)).toEqual([]);
    const stream = events.filter((e) => e.stream === STREAM);
    expect(stream.map((e) => e.revision)).toEqual(
      Array.from({ length: stream.length }, (_, i) => i),
    );
    const shipments = stream.filter((e) => e.type === 'ShipmentRecorded');
    expect(shipments).toHaveLength(wins.length);
    expect(stream.at(-1)?.revision).toBe(revision);
    for (const win of wins) {
      const event = stream.find((e) => e.eventId === win.eventId);
      expect(event, win.shipmentId).toBeDefined();
      expect(event?.revision).toBe(win.revision);
      expect(event?.data.shipmentId).toBe(win.shipmentId);
    }
    const verify = await server.get('/v1/ledger/verify', { key });
    expect(verify.json).toMatchObject({ ok: true, events: events.length });
    log.push(
      `  total: ${wins.length} wins, stream at revision ${revision}, ${events.length} events`,
    );
  });

  /**
   * A command sent WITHOUT an expected revision means "whatever the stream is now": the
   * server queues commands per stream, so independent shipments are all recorded, none gets a
   * conflict it never asked for.
   */
  it(`all ${WRITERS} concurrent writers without an expected revision succeed`, async () => {
    const programId = 'contested-free';
    await registerPrograms(server, key, [programId]);
    const responses = await Promise.all(
      Array.from({ length: WRITERS }, (_, w) =>
        server.post(`/v1/programs/${programId}/shipments`, shipment(`unconditioned-${w}`), { key }),
      ),
    );
    log.push(`  unconditioned writers on ${programId}: ${JSON.stringify(byStatus(responses))}`);
    expect(byStatus(responses)).toEqual({ 201: WRITERS });
  });
});
