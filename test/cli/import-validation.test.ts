/**
 * Issue 28, item 3: `import` checks every event against the domain's event schemas and stream
 * rules before anything is written; the file is refused naming its first bad line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedExample } from '../../src/cli/seed-example.ts';
import { importLedger } from '../../src/cli/transfer.ts';
import { handleProgramCommand } from '../../src/commands/handle-command.ts';
import { GENESIS_HASH, hashEvent } from '../../src/core/event-hash.ts';
import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';

const folder = mkdtempSync(join(tmpdir(), 'ledger-import-check-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let ledger: RecordedEvent[] = [];
beforeAll(async () => {
  const store = openMemoryEventStore();
  await seedExample(store);
  await handleProgramCommand(
    store,
    PROGRAM_ID,
    { type: 'RecordShipment', data: { shipmentId: 'sh-1', shippedOn: '2007-06-01', units: 10 } },
    { recordedBy: 'test' },
  );
  ledger = await store.readAll();
  await store.close();
});

/** The events with every chain re-linked and re-hashed: consistent, whatever was changed. */
function rehashed(events: RecordedEvent[]): RecordedEvent[] {
  const last = new Map<string, { hash: string; revision: number }>();
  return events.map((event) => {
    const before = last.get(event.stream);
    const revision = before ? before.revision + 1 : 0;
    const metadata = { ...event.metadata, prevHash: before?.hash ?? GENESIS_HASH };
    const linked = { ...event, revision, metadata };
    const hash = hashEvent(linked);
    last.set(event.stream, { hash, revision });
    return { ...linked, metadata: { ...metadata, hash } };
  });
}

function fileOf(name: string, events: RecordedEvent[]): string {
  const path = join(folder, `${name}.ndjson`);
  writeFileSync(path, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  return path;
}

/** The last event (the shipment, line 5) changed by `change`. */
const lastChanged = (change: (e: RecordedEvent) => RecordedEvent) =>
  rehashed(ledger.map((e, i) => (i === ledger.length - 1 ? change(e) : e)));

const refusals: [string, () => RecordedEvent[], RegExp][] = [
  [
    'terms that are not a list',
    () =>
      rehashed(
        ledger.map((e) =>
          e.type === 'NoticeReceived' ? { ...e, data: { ...(e.data as object), terms: 'x' } } : e,
        ),
      ),
    /:4: NoticeReceived data: data\.terms/,
  ],
  [
    'units that are no number',
    () => lastChanged((e) => ({ ...e, data: { ...(e.data as object), units: 'many' } })),
    /:5: ShipmentRecorded data: data\.units/,
  ],
  [
    'an unknown type',
    () => lastChanged((e) => ({ ...e, type: 'Backdoor' })),
    /:5: type "Backdoor" is not an event of a program/,
  ],
  ['no data', () => lastChanged((e) => ({ ...e, data: null })), /:5: ShipmentRecorded data/],
  [
    'a record time that is no instant',
    () => lastChanged((e) => ({ ...e, metadata: { ...e.metadata, recordedAt: 'zzz' } })),
    /:5: recordedAt "zzz" is not an instant/,
  ],
  [
    'a stream that names no program',
    () => lastChanged((e) => ({ ...e, stream: '../../evil' })),
    /:5: stream "\.\.\/\.\.\/evil" names no program or specification/,
  ],
];

describe('import refuses what the domain refuses', () => {
  it.each(refusals)('%s: exit 4 naming the line, nothing imported', async (_, events, message) => {
    const file = fileOf(`bad-${Math.random()}`, events());
    const target = openMemoryEventStore();
    try {
      const refused = await importLedger(target, file).then(
        () => null,
        (error: { exitCode: number; message: string }) => error,
      );
      expect(refused?.exitCode).toBe(4);
      expect(refused?.message).toMatch(message);
      expect(await target.headPosition()).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('the untouched export still imports', async () => {
    const target = openMemoryEventStore();
    try {
      expect(await importLedger(target, fileOf('good', ledger))).toMatchObject({ events: 5 });
    } finally {
      await target.close();
    }
  });

  it('a duplicate event id is a refusal (exit 4) naming both lines, not a store error', async () => {
    const first = ledger.at(-1) as RecordedEvent;
    const again = rehashed([
      ...ledger,
      { ...first, data: { ...(first.data as object), shipmentId: 'sh-2' } },
    ]);
    const file = fileOf('duplicate', again);
    const target = join(folder, 'duplicate.sqlite');
    const run = await ledgerBinary(folder)('--store', `sqlite:${target}`, 'import', file);
    expect(run.stderr).toMatch(/:6: event [0-9a-f-]{36} is already on line 5/);
    expect(run.code).toBe(4);
  });
});
