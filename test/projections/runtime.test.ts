import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProjectionDefinition } from '../../projections/definition.ts';
import { eventStreams } from '../../projections/event-streams.ts';
import { programFacts } from '../../projections/program-facts.ts';
import { shipments } from '../../projections/shipments.ts';
import type { Fact } from '../../src/domain/index.ts';
import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import { fileCheckpointStore } from '../../src/projections/checkpoints.ts';
import { ledgerProjections, ledgerQueries } from '../../src/projections/ledger-queries.ts';
import { type ProjectionRuntime, startProjections } from '../../src/projections/runtime.ts';
import { anEvent } from '../eventstore/contract.ts';
import { calendarDate, ledgerHistory } from '../support/arbitraries.ts';
import { recordFacts } from '../support/recording.ts';

const folder = mkdtempSync(join(tmpdir(), 'ledger-projections-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const readModels = (runtime: ProjectionRuntime) =>
  ledgerProjections.map((p: ProjectionDefinition<unknown>) => p.toJSON(runtime.state(p)));

/** Every answer the queries give for a sample of dates, as known at a moment. */
function answers(
  store: EventStore,
  runtime: ProjectionRuntime,
  facts: readonly Fact[],
  dates: string[],
  position?: number,
) {
  const queries = ledgerQueries(store, runtime);
  const asKnownAt = position === undefined ? undefined : { position };
  const programs = [
    ...new Set(facts.filter((f) => f.stream.startsWith('program-')).map((f) => f.stream.slice(8))),
  ];
  return programs.map((id) => ({
    id,
    statuses: dates.map((at) => queries.status(id, { at, asKnownAt })),
    timeline: queries.timeline(id, asKnownAt),
  }));
}

describe('projection runtime', () => {
  it('a rebuild from scratch equals the read models built live while events arrived', async () => {
    await fc.assert(
      fc.asyncProperty(ledgerHistory(100, { maxEvents: 60 }), async (facts) => {
        const store = openMemoryEventStore();
        const live = await startProjections(store, ledgerProjections);
        await recordFacts(store, facts);
        await live.waitFor(facts.length);
        const rebuilt = await startProjections(store, ledgerProjections);
        expect(rebuilt.position).toBe(facts.length);
        expect(readModels(rebuilt)).toEqual(readModels(live));
        const liveQueries = ledgerQueries(store, live);
        const rebuiltQueries = ledgerQueries(store, rebuilt);
        expect(rebuiltQueries.violations()).toEqual(liveQueries.violations());
        expect(rebuiltQueries.deadlines({ today: '2007-01-01', withinDays: 365 })).toEqual(
          liveQueries.deadlines({ today: '2007-01-01', withinDays: 365 }),
        );
        await live.close();
        await rebuilt.close();
      }),
      { numRuns: 4 },
    );
  });

  it('answers as known at a position are unchanged by any later append', async () => {
    await fc.assert(
      fc.asyncProperty(
        ledgerHistory(8, { maxEvents: 40 }),
        fc.nat(),
        fc.array(calendarDate(), { minLength: 3, maxLength: 6 }),
        async (facts, k, dates) => {
          const store = openMemoryEventStore();
          const runtime = await startProjections(store, ledgerProjections);
          const cut = facts.length === 0 ? 0 : k % facts.length;
          await recordFacts(store, facts.slice(0, cut));
          await runtime.waitFor(cut);
          const before = answers(store, runtime, facts.slice(0, cut), dates, cut);
          await recordFacts(store, facts.slice(cut));
          await runtime.waitFor(facts.length);
          expect(answers(store, runtime, facts.slice(0, cut), dates, cut)).toEqual(before);
          await runtime.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('resumes from checkpoints, and rebuilds a projection whose version changed or whose ledger differs', async () => {
    const facts = fc
      .sample(ledgerHistory(40, { maxEvents: 40 }), { numRuns: 10, seed: 42 })
      .reduce((a, b) => (b.length > a.length ? b : a));
    const half = Math.floor(facts.length / 2);
    expect(half).toBeGreaterThan(100);
    const path = join(folder, 'checkpointed.sqlite');
    const checkpoints = {
      store: fileCheckpointStore(join(folder, 'checkpoints')),
      key: randomBytes(32),
    };
    const store = openSqliteEventStore(path);
    await recordFacts(store, facts.slice(0, half));
    const first = await startProjections(store, ledgerProjections, { checkpoints });
    expect([...first.startedFrom.values()].every((s) => s.rebuilt)).toBe(true);
    const expected = readModels(first);
    await first.close();

    const resumed = await startProjections(store, ledgerProjections, { checkpoints });
    expect([...resumed.startedFrom.values()]).toEqual(
      ledgerProjections.map(() => ({ rebuilt: false, position: half })),
    );
    expect(readModels(resumed)).toEqual(expected);
    await recordFacts(store, facts.slice(half));
    await resumed.waitFor(facts.length);
    const fromScratch = await startProjections(store, ledgerProjections);
    const complete = readModels(fromScratch);
    expect(readModels(resumed)).toEqual(complete);
    await fromScratch.close();
    await resumed.close();

    const bumped = { ...shipments, version: shipments.version + 1 };
    const afterBump = await startProjections(store, [programFacts, bumped, eventStreams], {
      checkpoints,
    });
    expect(afterBump.startedFrom.get('program-facts')).toEqual({
      rebuilt: false,
      position: facts.length,
    });
    expect(afterBump.startedFrom.get('shipments')).toEqual({ rebuilt: true, position: 0 });
    expect(shipments.toJSON(afterBump.state(bumped))).toEqual(complete[1]);
    await afterBump.close();
    await store.close();

    const other = openSqliteEventStore(join(folder, 'other.sqlite'));
    await recordFacts(
      other,
      facts.map((f) => ({ ...f, eventId: crypto.randomUUID() })),
    );
    const elsewhere = await startProjections(other, ledgerProjections, { checkpoints });
    expect([...elsewhere.startedFrom.values()].every((s) => s.rebuilt)).toBe(true);
    expect(elsewhere.startedFrom.get('program-facts')?.refused).toMatch(/is another one/);
    await elsewhere.close();
    await other.close();
  });

  it('catches up a page at a time, and a read failing midway is resumed after the last event applied', async () => {
    const store = openMemoryEventStore();
    // More than one catch-up page (1000 events).
    for (let i = 0; i < 25; i++)
      await store.append(
        `stream-${i}`,
        Array.from({ length: 100 }, () => anEvent()),
        { expectedRevision: 'no-stream' },
      );
    const pages: number[] = [];
    const failing: EventStore = {
      ...store,
      readAll: async (options) => {
        pages.push(options?.fromPosition ?? 1);
        if (pages.length === 2) throw new Error('the store went away');
        return store.readAll(options);
      },
    };
    const runtime = await startProjections(failing, [eventStreams]);
    // The first page was read by the catch-up, the second failed; the follower did the rest.
    expect(pages).toEqual([1, 1001]);
    expect(runtime.position).toBe(2500);
    const streams = runtime.state(eventStreams);
    expect(streams.size).toBe(2500);
    for (const event of await store.readAll())
      expect(streams.get(event.eventId)).toBe(event.stream);
    await runtime.close();
  });

  it('waitFor times out with a clear error when the position never comes', async () => {
    const runtime = await startProjections(openMemoryEventStore(), ledgerProjections);
    await expect(runtime.waitFor(5, 50)).rejects.toThrow(/did not reach position 5 within 50 ms/);
    await runtime.close();
  });
});
