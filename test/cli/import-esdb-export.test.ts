/** `ledger import` of an export whose positions are sparse (KurrentDB's commit offsets). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportLedger, importLedger } from '../../src/cli/transfer.ts';
import { createEsdbEventStore } from '../../src/eventstore/esdb/index.ts';
import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import { readLedger, verifyLedger } from '../../src/integrity/verify-ledger.ts';
import { anEvent } from '../eventstore/contract.ts';
import { FakeEsdbServer } from '../eventstore/esdb-fake.ts';

describe('importing an esdb export', () => {
  it('renumbers positions densely, keeps every hash, and says so', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'ledger-import-'));
    const source = createEsdbEventStore(new FakeEsdbServer().client());
    const target = openMemoryEventStore();
    try {
      for (let i = 0; i < 5; i++) {
        // Events the domain could record: import checks each against its schema.
        const shipment = (n: number) =>
          anEvent({
            type: 'ShipmentRecorded',
            data: { shipmentId: `s${n}`, shippedOn: '2007-06-01', units: 1 },
          });
        await source.append(`program-${i % 2}`, [shipment(2 * i), shipment(2 * i + 1)], {
          expectedRevision: 'any',
        });
      }
      const file = join(folder, 'esdb.ndjson');
      expect(await exportLedger(source, file)).toBe(10);
      const exported = await source.readAll();
      expect(exported[1]?.position).toBeGreaterThan(2);

      const report = await importLedger(target, file);

      expect(report).toEqual({ events: 10, streams: 2, renumbered: true });
      const imported = await target.readAll();
      expect(imported.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(imported.map(({ position: _, ...rest }) => rest)).toEqual(
        exported.map(({ position: _, ...rest }) => rest),
      );
      expect(await verifyLedger(readLedger(target), { densePositions: true })).toMatchObject({
        ok: true,
      });
    } finally {
      await source.close();
      await target.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
