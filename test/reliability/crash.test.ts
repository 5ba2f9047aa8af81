/**
 * Crash safety: a server under concurrent writes is killed with SIGKILL at a random moment,
 * several times, and restarted on the same files. Every write the client saw acknowledged
 * (201) must survive with the same eventId and position; nothing half-written may show; the
 * hash chains must verify.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstStartKeys } from '../support/first-start-keys.ts';
import { type PostgresServer, postgresForSuite } from '../support/postgres-server.ts';
import {
  createLedgerFiles,
  expectProblem,
  type LedgerEvent,
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

const PROGRAMS = ['crash-a', 'crash-b', 'crash-c', 'crash-d'];
const CLIENTS = 16;
const ROUNDS = 4;
/** Bounds each client's writes in a round, should the kill come late. */
const MAX_WRITES_PER_CLIENT = 300;
/** The kill comes this long (ms, uniform) after the round's first acknowledged write. */
const KILL_WINDOW = { min: 50, max: 1200 };

interface Ack {
  shipmentId: string;
  eventId: string;
  stream: string;
  revision: number;
  position: number;
}

/** `storeUrl` names the store to use instead of the files' SQLite one. */
const describeCrashes = (store: string, storeUrl?: () => Promise<string>) =>
  describe(`SIGKILL under concurrent writes, then restart on the same ${store} store`, () => {
    let files: LedgerFiles;
    let recorderKey = '';
    let server: ServerProcess | undefined;
    /** Every write acknowledged with 201, over all rounds. */
    const acked = new Map<string, Ack>();
    /** Every shipment id ever sent (acknowledged, refused or lost in flight). */
    const sent = new Set<string>();
    const summary: string[] = [];

    beforeAll(async () => {
      // No credentials file: main.ts creates a recorder and an auditor key, handed over in a file.
      files = createLedgerFiles();
      if (storeUrl) files = { ...files, storeUrl: await storeUrl() };
      server = await startServer(files);
      const created = firstStartKeys(files.credentialsPath);
      recorderKey = created.recorder ?? '';
      expect(recorderKey, server.output()).toMatch(/^lk_[0-9a-f]{8}_/);
      expect(created.auditor).toMatch(/^lk_[0-9a-f]{8}_/);
      await registerPrograms(server, recorderKey, PROGRAMS);
    });

    afterAll(async () => {
      console.log(`crash rounds (${store}):\n${summary.join('\n')}`);
      await stopAllServers();
      removeAllFiles();
    });

    /** After a restart: the ledger holds every acknowledged write and nothing half-written. */
    async function checkLedger(live: ServerProcess): Promise<LedgerEvent[]> {
      const events = await readWholeLedger(live, recorderKey);
      expect(ledgerDefects(events)).toEqual([]);

      const byId = new Map(events.map((e) => [e.eventId, e]));
      const missing: string[] = [];
      for (const ack of acked.values()) {
        const event = byId.get(ack.eventId);
        if (
          !event ||
          event.position !== ack.position ||
          event.stream !== ack.stream ||
          event.revision !== ack.revision ||
          event.type !== 'ShipmentRecorded' ||
          event.data.shipmentId !== ack.shipmentId
        )
          missing.push(`${ack.shipmentId} (${ack.eventId} at ${ack.position})`);
      }
      expect(missing, 'acknowledged writes missing or moved after the crash').toEqual([]);

      // One command, one event: each shipment sent is recorded at most once, none comes from
      // nowhere, and every acknowledged one is there.
      const shipments = events.filter((e) => e.type === 'ShipmentRecorded');
      const shipmentIds = shipments.map((e) => e.data.shipmentId as string);
      expect(new Set(shipmentIds).size).toBe(shipmentIds.length);
      expect(shipmentIds.filter((id) => !sent.has(id))).toEqual([]);
      expect(shipments.length).toBeGreaterThanOrEqual(acked.size);
      expect(events.filter((e) => e.type === 'ProgramRegistered')).toHaveLength(PROGRAMS.length);
      // The specification the programs name, registered before them.
      expect(events.filter((e) => e.type === 'SpecificationRegistered')).toHaveLength(1);
      expect(events).toHaveLength(1 + PROGRAMS.length + shipments.length);

      const verify = await live.get('/v1/ledger/verify', { key: recorderKey });
      expect(verify.status).toBe(200);
      expect(verify.json).toMatchObject({ ok: true, events: events.length });

      // The projections rebuilt from the file agree with it.
      const ready = await live.get('/readyz');
      expect(ready.json).toMatchObject({ ready: true, headPosition: events.length });
      for (const programId of PROGRAMS) {
        // The trail is paged ("Paging" in docs/design.md): follow `next` to its end.
        const entries: { stream: string }[] = [];
        let cursor: string | null = null;
        do {
          const page = `/v1/programs/${programId}/audit-trail?limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
          const trail = await live.get(page, { key: recorderKey });
          expect(trail.status).toBe(200);
          entries.push(...trail.json.entries);
          cursor = trail.json.next;
        } while (cursor !== null);
        const own = entries.filter(
          (entry: { stream: string }) => entry.stream === `program-${programId}`,
        );
        expect(own.length).toBe(events.filter((e) => e.stream === `program-${programId}`).length);
      }
      return events;
    }

    for (let round = 1; round <= ROUNDS; round++) {
      it(`round ${round}: acknowledged writes survive a SIGKILL at a random moment`, async () => {
        const writing = server ?? (await startServer(files));
        server = writing;
        let stop = false;
        let inFlight = 0;
        let firstAck: () => void = () => {};
        const firstAcked = new Promise<void>((resolve) => {
          firstAck = resolve;
        });
        const ackedBefore = acked.size;
        const lost: string[] = [];
        const refused: number[] = [];

        const client = async (c: number) => {
          for (let i = 0; i < MAX_WRITES_PER_CLIENT && !stop; i++) {
            const programId = PROGRAMS[(c + i) % PROGRAMS.length] as string;
            const shipmentId = `r${round}-c${c}-${i}`;
            sent.add(shipmentId);
            inFlight++;
            let response: Awaited<ReturnType<ServerProcess['post']>>;
            try {
              response = await writing.post(
                `/v1/programs/${programId}/shipments`,
                shipment(shipmentId, i + 1),
                { key: recorderKey },
              );
            } catch {
              lost.push(shipmentId); // the server died with this request in flight
              return;
            } finally {
              inFlight--;
            }
            if (response.status === 201) {
              const body = response.json;
              acked.set(shipmentId, {
                shipmentId,
                eventId: body.eventId,
                stream: body.stream,
                revision: body.revision,
                position: body.position,
              });
              firstAck();
            } else {
              // Without expectedRevision the handler retries conflicts a few times; under this
              // contention it may still give up with a 409. Anything else is a failure.
              expectProblem(response, 409, 'revision-conflict');
              refused.push(response.status);
            }
          }
        };

        const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
        await Promise.race([firstAcked, Promise.all(clients)]);
        const delay = Math.round(
          KILL_WINDOW.min + Math.random() * (KILL_WINDOW.max - KILL_WINDOW.min),
        );
        await sleep(delay);
        const ackedAtKill = acked.size - ackedBefore;
        const inFlightAtKill = inFlight;
        stop = true;
        await writing.stop('SIGKILL');
        await Promise.all(clients);
        server = undefined;
        expect(writing.child.signalCode).toBe('SIGKILL');
        expect(
          acked.size - ackedBefore,
          'the round acknowledged no write before the kill',
        ).toBeGreaterThan(0);

        server = await startServer(files);
        const events = await checkLedger(server);
        const roundShipments = events.filter(
          (e) =>
            e.type === 'ShipmentRecorded' && String(e.data.shipmentId).startsWith(`r${round}-`),
        ).length;
        const ackedThisRound = acked.size - ackedBefore;
        summary.push(
          `  round ${round}: kill ${delay} ms after the first ack; ${ackedThisRound} acknowledged ` +
            `(${ackedAtKill} when the kill was sent), ${inFlightAtKill} in flight at the kill, ` +
            `${lost.length} lost with the connection, ${refused.length} refused 409; ` +
            `${roundShipments} recorded in the ledger (${roundShipments - ackedThisRound} of ` +
            `the in-flight ones committed before the kill); ledger now ${events.length} events`,
        );
        // Every write of the round is either acknowledged, lost in flight or refused.
        expect(ackedThisRound + lost.length + refused.length).toBe(
          [...sent].filter((id) => id.startsWith(`r${round}-`)).length,
        );
        expect(roundShipments - ackedThisRound).toBeLessThanOrEqual(lost.length);
      }, 90_000);
    }

    it('the ledger is still sound and writable after the last restart', async () => {
      const live = server ?? (await startServer(files));
      server = live;
      const after = await live.post('/v1/programs/crash-a/shipments', shipment('after-crashes'), {
        key: recorderKey,
      });
      expect(after.status).toBe(201);
      sent.add('after-crashes');
      acked.set('after-crashes', {
        shipmentId: 'after-crashes',
        eventId: after.json.eventId,
        stream: after.json.stream,
        revision: after.json.revision,
        position: after.json.position,
      });
      await checkLedger(live);
      summary.push(`  total: ${acked.size} acknowledged writes, all present after ${ROUNDS} kills`);
    }, 60_000);
  });

describeCrashes('sqlite');

const postgres = await postgresForSuite();
afterAll(() => postgres?.destroy());
describe.skipIf(!postgres)('on PostgreSQL', () => {
  describeCrashes('postgres', () => (postgres as PostgresServer).createLedgerDatabase());
});
