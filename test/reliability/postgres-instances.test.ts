/**
 * Two ledger service processes (src/main.ts) on one PostgreSQL database, each taking commands
 * for the same streams; then the database stopped at once (`pg_ctl stop -m immediate`) during a
 * write burst and started again, the services left to recover by themselves.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerBinary } from '../support/ledger-binary.ts';
import { postgresForSuite } from '../support/postgres-server.ts';
import {
  createLedgerFiles,
  expectProblem,
  type HttpResponse,
  type LedgerFiles,
  ledgerDefects,
  REPO_ROOT,
  readWholeLedger,
  registerPrograms,
  removeAllFiles,
  type ServerProcess,
  shipment,
  sleep,
  startServer,
  stopAllServers,
} from './support.ts';

const server = await postgresForSuite();
afterAll(async () => {
  await stopAllServers();
  removeAllFiles();
  await server?.destroy();
});

const PROGRAMS = ['shared-a', 'shared-b'];
const WRITERS = 10;

describe.skipIf(!server)('two service instances on one PostgreSQL database', () => {
  const pgServer = server as NonNullable<typeof server>;
  let files: LedgerFiles;
  let storeUrl = '';
  let key = '';
  let instances: [ServerProcess, ServerProcess];
  let trustedFile = '';

  beforeAll(async () => {
    storeUrl = await pgServer.createLedgerDatabase();
    files = createLedgerFiles({ writer: 'recorder' });
    key = files.keys.writer?.key ?? '';
    // The same credentials and checkpoint key folder: the same service, twice.
    const both = { storeUrl, credentialsPath: files.credentialsPath };
    instances = [await startServer(both), await startServer(both)];
    await registerPrograms(instances[0], key, PROGRAMS);
    const checkpoint = await instances[1].get('/v1/ledger/checkpoint', {
      key,
      headers: { accept: 'text/plain' },
    });
    expect(checkpoint.status).toBe(200);
    trustedFile = join(files.dir, 'trusted.checkpoint');
    writeFileSync(trustedFile, checkpoint.text);
  });

  it('one winner per revision across both, one dense order, verify and audit pass, both answer the same', async () => {
    const [a, b] = instances;
    for (let round = 0; round < 5; round++) {
      const revision = round; // registered at 0; each round's winner makes the next
      const responses = await Promise.all(
        Array.from({ length: WRITERS }, (_, w) =>
          (w % 2 ? b : a).post(
            `/v1/programs/${PROGRAMS[0]}/shipments`,
            { ...shipment(`r${round}-w${w}`, w + 1), expectedRevision: revision },
            { key },
          ),
        ),
      );
      const won = responses.filter((r) => r.status === 201);
      expect(won, responses.map((r) => `${r.status} ${r.text}`).join('\n')).toHaveLength(1);
      for (const r of responses.filter((r) => r.status !== 201))
        expectProblem(r, 409, 'revision-conflict');
    }
    // Without an expected revision both instances write the other program at once, 20 in
    // flight, every other one with an Idempotency-Key: each is decided again when the other
    // instance got in first, so none answers 409 (only a stated revision may).
    const unconditioned: HttpResponse[] = [];
    const COMMANDS = 500;
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = next++; i < COMMANDS; i = next++) {
          unconditioned.push(
            await (i % 2 ? b : a).post(
              `/v1/programs/${PROGRAMS[1]}/shipments`,
              shipment(`u${i}`, i + 1),
              { key, ...(i % 4 < 2 ? { headers: { 'idempotency-key': `u-${i}` } } : {}) },
            ),
          );
        }
      }),
    );
    expect(
      unconditioned.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.text}`),
    ).toEqual([]);

    const events = await readWholeLedger(b, key);
    expect(ledgerDefects(events)).toEqual([]);
    expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
    const contested = events.filter((e) => e.stream === `program-${PROGRAMS[0]}`);
    expect(contested.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);

    for (const instance of instances) {
      const verify = await instance.get('/v1/ledger/verify', { key });
      expect(verify.json).toMatchObject({ ok: true, events: events.length });
    }
    // Read-your-writes on both: each one's projections follow the other's commits.
    const statuses = await Promise.all(
      instances.map((instance) => instance.get(`/v1/programs/${PROGRAMS[1]}/status`, { key })),
    );
    expect(statuses.map((s) => s.status)).toEqual([200, 200]);
    expect(statuses[0]?.json).toEqual(statuses[1]?.json);
    const trails = await Promise.all(
      instances.map((i) => i.get(`/v1/programs/${PROGRAMS[0]}/audit-trail`, { key })),
    );
    expect(trails[0]?.json).toEqual(trails[1]?.json);

    // The auditor's tool on the database itself: the tree extends the checkpoint trusted before.
    // Every path is absolute: run it where tsx resolves.
    const ledger = ledgerBinary(REPO_ROOT);
    const audit = await ledger(
      '--store',
      storeUrl,
      'audit',
      '--trusted',
      trustedFile,
      '--key-dir',
      join(files.dir, 'checkpoint-key'),
    );
    expect(audit.stderr).toBe('');
    expect(audit.stdout).toMatch(/^audit passed/);
    expect(audit.code).toBe(0);
  }, 120_000);

  it('the database stopped at once during a write burst: 503 and not ready meanwhile, then recovered, nothing acknowledged lost', async () => {
    const [a, b] = instances;
    const acked = new Map<string, { eventId: string; position: number }>();
    let stopWriting = false;
    let enough: () => void = () => {};
    const enoughAcked = new Promise<void>((resolve) => {
      enough = resolve;
    });
    const outageAnswers: HttpResponse[] = [];
    const writer = async (w: number) => {
      for (let i = 0; !stopWriting; i++) {
        const id = `burst-${w}-${i}`;
        const response = await (w % 2 ? b : a).post(
          `/v1/programs/${PROGRAMS[w % 2]}/shipments`,
          shipment(id, i + 1),
          { key, headers: { 'idempotency-key': id } },
        );
        if (response.status === 201) {
          acked.set(id, { eventId: response.json.eventId, position: response.json.position });
          if (acked.size >= 60) enough();
        } else if (response.status === 503) {
          outageAnswers.push(response);
          return;
        } else expectProblem(response, 409, 'revision-conflict');
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    await enoughAcked;
    await pgServer.stopImmediately();
    await Promise.race([Promise.all(writers), sleep(30_000)]);
    stopWriting = true;
    await Promise.all(writers);

    expect(outageAnswers.length).toBeGreaterThan(0);
    for (const response of outageAnswers) {
      expectProblem(response, 503);
      // A command recorded just before the stop may wait in vain for the read models.
      expect(response.json.type).toMatch(/:(store-unavailable|projections-behind)$/);
    }
    for (const instance of instances) {
      const command = await instance.post(
        `/v1/programs/${PROGRAMS[0]}/shipments`,
        shipment('during-outage'),
        { key },
      );
      expectProblem(command, 503, 'store-unavailable');
      const ready = await instance.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.json).toMatchObject({ ready: false });
      // Still alive: only the database is away.
      expect((await instance.get('/healthz')).status).toBe(200);
    }

    await pgServer.start();
    // Each instance comes back by itself: ready again, and taking commands.
    for (const instance of instances) {
      while ((await instance.get('/readyz')).status !== 200) await sleep(100);
    }
    const after = await b.post(`/v1/programs/${PROGRAMS[0]}/shipments`, shipment('after'), {
      key,
    });
    expect(after.status).toBe(201);

    const events = await readWholeLedger(a, key);
    expect(ledgerDefects(events)).toEqual([]);
    const byId = new Map(events.map((e) => [e.eventId, e.position]));
    const missing = [...acked].filter(([, ack]) => byId.get(ack.eventId) !== ack.position);
    expect(missing, 'acknowledged writes missing or moved').toEqual([]);
    for (const instance of instances) {
      const verify = await instance.get('/v1/ledger/verify', { key });
      expect(verify.json).toMatchObject({ ok: true, events: events.length });
      // Its projections follow the other instance's last write too.
      for (;;) {
        const ready = await instance.get('/readyz');
        if (ready.status === 200 && ready.json.projectedPosition === events.length) break;
        await sleep(50);
      }
    }
  }, 180_000);
});
