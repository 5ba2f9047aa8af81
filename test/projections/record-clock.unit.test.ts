/**
 * Record time with several writers (issue 16, item 8): along $all, recordedAt of two writer
 * processes interleaves and can go back; "as known at" an instant is the prefix of the global
 * order whose running maximum of recordedAt is at most that instant.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { knownAtPosition, recordClock } from '../../projections/record-clock.ts';
import { createEsdbEventStore } from '../../src/eventstore/esdb/index.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { readLedger } from '../../src/integrity/verify-ledger.ts';
import { ledgerProjections } from '../../src/projections/ledger-queries.ts';
import { replayLedger } from '../../src/projections/replay.ts';
import { startProjections } from '../../src/projections/runtime.ts';
import { anEvent } from '../eventstore/contract.ts';
import { FakeEsdbServer } from '../eventstore/esdb-fake.ts';

const at = (ms: number) => new Date(ms).toISOString();

function eventsStamped(stamps: readonly number[]): RecordedEvent[] {
  return stamps.map((ms, i) => ({
    eventId: `e${i}`,
    stream: 's',
    revision: i,
    position: 10 * (i + 1),
    type: 'T',
    data: {},
    metadata: {
      recordedAt: at(ms),
      recordedBy: 'w',
      correlationId: 'c',
      causationId: null,
      schemaVersion: 1,
      prevHash: '',
      hash: '',
    },
  }));
}

function clockOf(events: readonly RecordedEvent[]) {
  return events.reduce(
    (state, event) => recordClock.apply(state, event),
    recordClock.initialState(),
  );
}

/** The last position of the longest prefix with every stamp <= instant: replayLedger's cut. */
function prefixCut(events: readonly RecordedEvent[], instant: number): number | null {
  const first = events.findIndex((e) => Date.parse(e.metadata.recordedAt) > instant);
  return first < 0 ? null : (events[first - 1]?.position ?? 0);
}

describe('the record clock', () => {
  it('cuts at the first event stamped after the instant, whatever the order of stamps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }),
        fc.integer({ min: -1, max: 51 }),
        (stamps, instant) => {
          const events = eventsStamped(stamps);
          expect(knownAtPosition(clockOf(events), instant)).toBe(prefixCut(events, instant));
        },
      ),
    );
  });

  it('is the per-event filter where recordedAt never goes back (memory, sqlite)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }),
        fc.integer({ min: -1, max: 51 }),
        (unsorted, instant) => {
          const events = eventsStamped([...unsorted].sort((a, b) => a - b));
          const known = events.filter((e) => Date.parse(e.metadata.recordedAt) <= instant);
          const cut = knownAtPosition(clockOf(events), instant);
          expect(cut === null ? events : events.filter((e) => e.position <= cut)).toEqual(known);
        },
      ),
    );
  });

  it('agrees with replayLedger on a ledger two writer processes with skewed clocks wrote', async () => {
    const server = new FakeEsdbServer();
    const fast = createEsdbEventStore(server.client());
    const slow = createEsdbEventStore(server.client());
    const T = Date.parse('2026-01-01T00:00:00.000Z');
    const now = vi.spyOn(Date, 'now');
    try {
      // Writer "fast" runs a minute ahead of writer "slow"; they take turns.
      for (let i = 0; i < 4; i++) {
        now.mockReturnValue(T + 60_000 + i * 1000);
        await fast.append(`program-f${i}`, [anEvent()], { expectedRevision: 'no-stream' });
        now.mockReturnValue(T + i * 1000);
        await slow.append(`program-s${i}`, [anEvent()], { expectedRevision: 'no-stream' });
      }
    } finally {
      now.mockRestore();
    }
    const all = await fast.readAll();
    const stamps = all.map((e) => Date.parse(e.metadata.recordedAt));
    // recordedAt goes back along $all: the per-event filter would pick a set that never was.
    expect(stamps.some((ms, i) => i > 0 && ms < (stamps[i - 1] as number))).toBe(true);

    const runtime = await startProjections(fast, ledgerProjections);
    try {
      for (const instant of [T - 1, T + 500, T + 30_000, T + 60_000, T + 61_500, T + 70_000]) {
        const replayed = await replayLedger(readLedger(fast), ledgerProjections, {
          asKnownAt: at(instant),
        });
        const cut = knownAtPosition(runtime.state(recordClock), instant);
        expect(cut ?? all.at(-1)?.position).toBe(replayed.position);
      }
    } finally {
      await runtime.close();
      await fast.close();
      await slow.close();
    }
  });
});
