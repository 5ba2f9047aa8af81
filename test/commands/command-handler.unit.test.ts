import { beforeEach, describe, expect, it } from 'vitest';
import {
  handleProgramCommand,
  handleSpecificationCommand,
} from '../../src/commands/handle-command.ts';
import { IdempotencyKeyReusedError } from '../../src/commands/idempotency.ts';
import { StreamContendedError } from '../../src/commands/retry.ts';
import { DomainError, EVENT_SCHEMA_VERSION, streams } from '../../src/domain/index.ts';
import { StreamRevisionConflictError } from '../../src/eventstore/errors.ts';
import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { currentSpecification, PROGRAM_ID, program } from '../support/founding-case.ts';

const as = { recordedBy: 'test' };
const stream = streams.program(PROGRAM_ID);
const shipment = (n: number) => ({
  type: 'RecordShipment' as const,
  data: { shipmentId: `s-${n}`, shippedOn: '2006-01-02', units: n },
});

let store: EventStore;
beforeEach(async () => {
  store = openMemoryEventStore();
  await handleSpecificationCommand(
    store,
    currentSpecification.specificationId,
    { type: 'RegisterSpecification', data: currentSpecification },
    as,
  );
  await handleProgramCommand(store, PROGRAM_ID, { type: 'RegisterProgram', data: program }, as);
});

/** Another process's write: straight into the store, past this process's handler. */
const writeElsewhere = async (n: number) => {
  const revision = (await store.readStream(stream)).length - 1;
  await store.append(
    stream,
    [
      {
        eventId: crypto.randomUUID(),
        type: 'ShipmentRecorded',
        data: shipment(n).data,
        metadata: {
          recordedBy: 'other',
          correlationId: 'c',
          causationId: null,
          schemaVersion: EVENT_SCHEMA_VERSION,
        },
      },
    ],
    { expectedRevision: revision },
  );
};

/** The store, with `before` run ahead of each of the first `times` appends. */
function interfering(times: number, before: () => Promise<void>) {
  const calls = { appends: 0 };
  const wrapped: EventStore = Object.create(store);
  wrapped.append = async (...args) => {
    calls.appends++;
    if (calls.appends <= times) await before();
    return store.append(...args);
  };
  return { store: wrapped, calls };
}

describe('command handler over the memory store', () => {
  it('queues one process’s commands per stream: concurrent commands never conflict', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        handleProgramCommand(store, PROGRAM_ID, shipment(i + 1), as),
      ),
    );
    expect(results.map((r) => r.revision).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(await store.readStream(stream)).toHaveLength(21);
  });

  it('folds what another writer recorded since its last command before deciding', async () => {
    await handleProgramCommand(store, PROGRAM_ID, shipment(1), as);
    await writeElsewhere(2);
    const again = await handleProgramCommand(store, PROGRAM_ID, shipment(2), as);
    expect(again.events).toEqual([]);
    expect(again.revision).toBe(2);
    const changed = { ...shipment(2), data: { ...shipment(2).data, units: 99 } };
    await expect(handleProgramCommand(store, PROGRAM_ID, changed, as)).rejects.toMatchObject({
      code: 'shipment-id-conflict',
    });
  });

  it('decides again when another writer moved the stream between read and append', async () => {
    await handleProgramCommand(store, PROGRAM_ID, shipment(1), as);
    let n = 100;
    const { store: racy, calls } = interfering(2, () => writeElsewhere(n++));
    const result = await handleProgramCommand(racy, PROGRAM_ID, shipment(3), as);
    expect(calls.appends).toBe(3);
    expect(result.revision).toBe(4);
    expect((await store.readStream(stream)).map((e) => e.type)).toHaveLength(5);
  });

  it('decides again until its deadline, then refuses as contended; never retries a stated revision', async () => {
    let n = 100;
    const always = interfering(Number.POSITIVE_INFINITY, () => writeElsewhere(n++));
    await expect(
      handleProgramCommand(always.store, PROGRAM_ID, shipment(1), {
        ...as,
        deadline: Date.now() + 300,
      }),
    ).rejects.toBeInstanceOf(StreamContendedError);
    // Well past the five attempts it used to give up after (with a 409 the client never asked for).
    expect(always.calls.appends).toBeGreaterThan(5);

    const once = interfering(1, () => writeElsewhere(n++));
    const revision = (await store.readStream(stream)).length - 1;
    await expect(
      handleProgramCommand(once.store, PROGRAM_ID, shipment(1), {
        ...as,
        expectedRevision: revision,
      }),
    ).rejects.toBeInstanceOf(StreamRevisionConflictError);
    expect(once.calls.appends).toBe(1);
  });

  it('succeeds however many times other writers overtake it before its deadline', async () => {
    let n = 100;
    const racy = interfering(12, () => writeElsewhere(n++));
    const result = await handleProgramCommand(racy.store, PROGRAM_ID, shipment(1), as);
    expect(racy.calls.appends).toBe(13);
    expect(result.revision).toBe(13);
  });

  it('answers a retry under the same Idempotency-Key with the recorded result, refuses a reuse', async () => {
    const keyed = { ...as, idempotencyKey: 'k-1' };
    const first = await handleProgramCommand(store, PROGRAM_ID, shipment(1), keyed);
    await handleProgramCommand(store, PROGRAM_ID, shipment(2), as);
    const retry = await handleProgramCommand(store, PROGRAM_ID, shipment(1), keyed);
    expect(retry).toEqual({ ...first, replayed: true });
    await expect(
      handleProgramCommand(store, PROGRAM_ID, shipment(3), keyed),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await store.readStream(stream)).toHaveLength(3);
  });

  it('reads no more of a long stream for a keyed command than for an unkeyed one', async () => {
    const read = { events: 0 };
    const counting: EventStore = Object.create(store);
    counting.readStream = async (...args) => {
      const events = await store.readStream(...args);
      read.events += events.length;
      return events;
    };
    for (let i = 1; i <= 200; i++)
      await handleProgramCommand(counting, PROGRAM_ID, shipment(i), as);
    read.events = 0;
    await handleProgramCommand(counting, PROGRAM_ID, shipment(201), as);
    const unkeyed = read.events;
    await handleProgramCommand(counting, PROGRAM_ID, shipment(202), {
      ...as,
      idempotencyKey: 'k-long',
    });
    // The key is looked up by index; the stream's state comes from what is already folded.
    expect(read.events - unkeyed).toBe(unkeyed);
    expect(unkeyed).toBe(0);
  });

  it('refuses a program naming an unregistered specification, writing nothing', async () => {
    const other = { ...program, programId: 'p-2', specificationId: 'nowhere' };
    const refusal = await handleProgramCommand(
      store,
      'p-2',
      { type: 'RegisterProgram', data: other },
      as,
    ).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ code: 'unknown-specification' });
    expect(await store.readStream(streams.program('p-2'))).toEqual([]);
  });
});
