/**
 * Idempotency-Key against a real server: retries after a SIGKILL and restart write nothing twice
 * and answer as the original did; a key reused for another request is refused; two identical
 * keyed requests racing each other record one event.
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
  sleep,
  startServer,
  stopAllServers,
} from './support.ts';

const PROGRAMS = ['idem-a', 'idem-b', 'idem-c', 'idem-d'];
const N = 24;

interface Sent {
  key: string;
  path: string;
  body: ReturnType<typeof shipment>;
}

/** What a repeat must match: status, ETag and the whole JSON body. */
const answer = (r: HttpResponse) => ({ status: r.status, etag: r.headers.etag, body: r.json });

describe('Idempotency-Key across a SIGKILL and restart', () => {
  let files: LedgerFiles;
  let server: ServerProcess;
  let key = '';
  const log: string[] = [];

  beforeAll(async () => {
    files = createLedgerFiles({ recorder: 'recorder' });
    key = files.keys.recorder?.key ?? '';
    server = await startServer(files);
    await registerPrograms(server, key, PROGRAMS);
  });

  afterAll(async () => {
    console.log(`idempotency:\n${log.join('\n')}`);
    await stopAllServers();
    removeAllFiles();
  });

  const send = (s: Sent, body: unknown = s.body) =>
    server.post(s.path, body, { key, headers: { 'idempotency-key': s.key } });

  const restart = async () => {
    await server.stop('SIGKILL');
    expect(server.child.signalCode).toBe('SIGKILL');
    server = await startServer(files);
  };

  it(`${N} keyed commands, retried after a restart, answer identically and write nothing`, async () => {
    const commands: Sent[] = Array.from({ length: N }, (_, i) => ({
      key: `order-${i}:attempt`,
      path: `/v1/programs/${PROGRAMS[i % PROGRAMS.length]}/shipments`,
      body: shipment(`keyed-${i}`, i + 1),
    }));
    const originals: ReturnType<typeof answer>[] = [];
    for (const c of commands) {
      const r = await send(c);
      expect(r.status, r.text).toBe(201);
      originals.push(answer(r));
    }
    const before = await readWholeLedger(server, key);
    for (const [i, c] of commands.entries()) {
      const event = before.find((e) => e.eventId === originals[i]?.body.eventId);
      expect(event?.metadata.idempotencyKey).toBe(c.key);
    }

    // A retry while the server still runs.
    expect(answer(await send(commands[0] as Sent))).toEqual(originals[0]);

    await restart();
    const retries = await Promise.all(commands.map((c) => send(c)));
    expect(retries.map(answer)).toEqual(originals);
    const after = await readWholeLedger(server, key);
    expect(after).toEqual(before);
    log.push(
      `  ${N} keyed commands: ${retries.length} retries after SIGKILL all identical; ledger stays at ${after.length} events`,
    );

    // The same key with another body, or on another program, is refused and writes nothing.
    const first = commands[0] as Sent;
    expectProblem(await send(first, { ...first.body, units: 999 }), 422, 'idempotency-key-reused');
    expectProblem(
      await send(first, { ...first.body, shipmentId: 'keyed-other' }),
      422,
      'idempotency-key-reused',
    );
    expectProblem(
      await send({ ...first, path: `/v1/programs/${PROGRAMS[1]}/shipments` }),
      422,
      'idempotency-key-reused',
    );
    expect(await readWholeLedger(server, key)).toEqual(before);
  }, 60_000);

  it('retries of writes lost in flight at a SIGKILL record each command exactly once', async () => {
    const sent: Sent[] = [];
    const acked = new Map<string, ReturnType<typeof answer>>();
    let stop = false;
    let firstAck: () => void = () => {};
    const firstAcked = new Promise<void>((resolve) => {
      firstAck = resolve;
    });
    const client = async (c: number) => {
      for (let i = 0; i < 200 && !stop; i++) {
        const s: Sent = {
          key: `lost-${c}-${i}`,
          path: `/v1/programs/${PROGRAMS[c % PROGRAMS.length]}/shipments`,
          body: shipment(`lost-${c}-${i}`, i + 1),
        };
        sent.push(s);
        try {
          const r = await send(s);
          if (r.status === 201) {
            acked.set(s.key, answer(r));
            firstAck();
          }
        } catch {
          return; // in flight when the server died
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    await Promise.race([firstAcked, Promise.all(clients)]);
    const delay = Math.round(50 + Math.random() * 600);
    await sleep(delay);
    stop = true;
    await restart();
    await Promise.all(clients);

    const committedUnacked = (await readWholeLedger(server, key)).filter((e) => {
      const k = e.metadata.idempotencyKey;
      return typeof k === 'string' && k.startsWith('lost-') && !acked.has(k);
    }).length;
    // Retried one at a time per program (programs in parallel), so no retry has to compete
    // with another for its stream (see the unconditioned-writers finding in conflicts.test.ts).
    const retries: HttpResponse[] = new Array(sent.length);
    await Promise.all(
      PROGRAMS.map(async (programId) => {
        for (const [i, s] of sent.entries())
          if (s.path.includes(`/${programId}/`)) retries[i] = await send(s);
      }),
    );
    const notCreated = retries.filter((r) => r.status !== 201);
    expect(notCreated.map((r) => r.text)).toEqual([]);
    for (const [i, s] of sent.entries()) {
      const original = acked.get(s.key);
      if (original) expect(answer(retries[i] as HttpResponse)).toEqual(original);
    }
    const events = await readWholeLedger(server, key);
    expect(ledgerDefects(events)).toEqual([]);
    const lostKeys = new Set(sent.map((s) => s.key));
    const perKey = new Map<string, number>();
    for (const e of events) {
      const k = e.metadata.idempotencyKey;
      if (typeof k === 'string' && lostKeys.has(k)) perKey.set(k, (perKey.get(k) ?? 0) + 1);
    }
    expect([...perKey.values()].filter((n) => n !== 1)).toEqual([]);
    expect(perKey.size).toBe(sent.length);
    log.push(
      `  kill ${delay} ms after the first ack: ${sent.length} keyed commands sent, ${acked.size} acknowledged, ${sent.length - acked.size} lost in flight of which ${committedUnacked} had committed; after the restart every retry 201, each key exactly one event`,
    );
  }, 60_000);

  it('two identical keyed requests racing each other record one event', async () => {
    const pairs = 10;
    const racePrograms = Array.from({ length: pairs }, (_, i) => `race-${i}`);
    await registerPrograms(server, key, racePrograms);
    const before = (await readWholeLedger(server, key)).length;
    const results = await Promise.all(
      racePrograms.map((programId, i) => {
        const s: Sent = {
          key: `race-${i}`,
          path: `/v1/programs/${programId}/shipments`,
          body: shipment(`race-${i}`),
        };
        return Promise.all([send(s), send(s), send(s)]);
      }),
    );
    for (const trio of results) {
      for (const r of trio) expect(r.status, r.text).toBe(201);
      const [a, b, c] = trio.map(answer);
      expect(b).toEqual(a);
      expect(c).toEqual(a);
    }
    const events = await readWholeLedger(server, key);
    expect(events.length - before).toBe(pairs);
    for (const [i, trio] of results.entries()) {
      const recorded = events.filter((e) => e.metadata.idempotencyKey === `race-${i}`);
      expect(recorded.map((e) => e.eventId)).toEqual([trio[0]?.json.eventId]);
    }
    log.push(
      `  ${pairs} trios of identical keyed requests raced: ${events.length - before} events`,
    );
  });

  it('the same key racing with two different bodies records one of them and refuses the other', async () => {
    const rounds = 8;
    const before = (await readWholeLedger(server, key)).length;
    const outcomes = await Promise.all(
      Array.from({ length: rounds }, (_, i) => {
        const path = `/v1/programs/race-${i}/shipments`;
        const headers = { 'idempotency-key': `split-${i}` };
        return Promise.all([
          server.post(path, shipment(`split-${i}`, 1), { key, headers }),
          server.post(path, shipment(`split-${i}`, 2), { key, headers }),
        ]);
      }),
    );
    for (const pair of outcomes) {
      expect(pair.map((r) => r.status).sort()).toEqual([201, 422]);
      expectProblem(
        pair.find((r) => r.status === 422) as HttpResponse,
        422,
        'idempotency-key-reused',
      );
    }
    const events = await readWholeLedger(server, key);
    expect(events.length - before).toBe(rounds);
    expect(ledgerDefects(events)).toEqual([]);
    const verify = await server.get('/v1/ledger/verify', { key });
    expect(verify.json).toMatchObject({ ok: true, events: events.length });
  });
});
