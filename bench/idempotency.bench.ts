/**
 * `npm run bench:idempotency`: a command with an Idempotency-Key beside one without, on the
 * SQLite store, with 100, 1,000 and 10,000 events already in the program's stream. Keyed and
 * unkeyed commands alternate, so both meet the same file and the same load; each row is the
 * median time per command. The key is found by index, so the two stay close at any length.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  handleProgramCommand,
  handleSpecificationCommand,
} from '../src/commands/handle-command.ts';
import { EVENT_SCHEMA_VERSION, streams } from '../src/domain/index.ts';
import { openSqliteEventStore } from '../src/eventstore/sqlite/index.ts';
import { currentSpecification, PROGRAM_ID, program } from '../test/support/founding-case.ts';
import { benchRow, median, report } from './support.ts';

const LENGTHS = [100, 1_000, 10_000];
const COMMANDS = Number(process.env.LEDGER_BENCH_COMMANDS ?? 40);
const as = { recordedBy: 'bench' };

const shipmentData = (n: number) => ({ shipmentId: `s-${n}`, shippedOn: '2006-01-02', units: 1 });

async function measure(length: number): Promise<{ keyed: number; unkeyed: number }> {
  const folder = await mkdtemp(join(tmpdir(), 'ledger-bench-idempotency-'));
  const store = openSqliteEventStore(join(folder, 'ledger.sqlite'));
  try {
    await handleSpecificationCommand(
      store,
      currentSpecification.specificationId,
      { type: 'RegisterSpecification', data: currentSpecification },
      as,
    );
    await handleProgramCommand(store, PROGRAM_ID, { type: 'RegisterProgram', data: program }, as);
    // The stream's history, written in appends of 500 as another process would have.
    const stream = streams.program(PROGRAM_ID);
    for (let n = 1; n < length; n += 500) {
      const count = Math.min(500, length - n);
      const events = Array.from({ length: count }, (_, i) => ({
        eventId: randomUUID(),
        type: 'ShipmentRecorded',
        data: shipmentData(n + i),
        metadata: {
          recordedBy: 'bench',
          correlationId: 'c',
          causationId: null,
          schemaVersion: EVENT_SCHEMA_VERSION,
        },
      }));
      await store.append(stream, events, { expectedRevision: 'any' });
    }
    const times = { keyed: [] as number[], unkeyed: [] as number[] };
    for (let i = 0; i < COMMANDS; i++) {
      for (const keyed of [true, false]) {
        const command = {
          type: 'RecordShipment' as const,
          data: shipmentData(length + 2 * i + (keyed ? 0 : 1)),
        };
        const started = performance.now();
        await handleProgramCommand(store, PROGRAM_ID, command, {
          ...as,
          ...(keyed ? { idempotencyKey: randomUUID() } : {}),
        });
        (keyed ? times.keyed : times.unkeyed).push(performance.now() - started);
      }
    }
    return { keyed: median(times.keyed), unkeyed: median(times.unkeyed) };
  } finally {
    await store.close();
    await rm(folder, { recursive: true, force: true });
  }
}

const rows = [];
for (const length of LENGTHS) {
  const { keyed, unkeyed } = await measure(length);
  rows.push(
    benchRow(
      `keyed command, ${length} events in its stream`,
      'ms',
      keyed,
      'the same command unkeyed',
      unkeyed,
      {
        aim: '<= 1.5',
      },
    ),
  );
}
report('idempotency', rows, { commandsPerKind: COMMANDS });
